/**
 * The durable snapshot store: the latest snapshot as one self-checking file, replaced
 * atomically (write, fsync, rename, fsync the directory), so a crash during save leaves the
 * previous snapshot in place.
 *
 * File layout: magic "VXLSNAP1" | meta length (u32 BE) | meta JSON | data | SHA-256 of all before it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VectorXLiteError } from '../../src/errors.js';
import type { Snapshot, SnapshotMeta } from '../consensus/types.js';
import { replaceFileDurably, temporaryName } from './durable-file.js';
import { corruption, guarded } from './errors.js';
import type { SnapshotStore } from './types.js';

const WHAT = 'the Raft snapshot';
const FILE_NAME = 'snapshot';
const MAGIC = Buffer.from('VXLSNAP1', 'latin1');
const DIGEST_BYTES = 32;

export class DurableSnapshotStore implements SnapshotStore {
  private closed = false;
  private readonly file: string;

  /** Uses `dir` (which must exist) for the snapshot file; a temporary file left by a crashed save is removed. */
  constructor(private readonly dir: string) {
    this.file = join(dir, FILE_NAME);
    guarded(WHAT, this.file, 'open', () => rmSync(temporaryName(this.file), { force: true }));
  }

  load(): Snapshot | null {
    this.ensureOpen();
    const bytes = guarded(WHAT, this.file, 'load', () => (existsSync(this.file) ? readFileSync(this.file) : null));
    return bytes === null ? null : this.decode(bytes);
  }

  save(snapshot: Snapshot): void {
    this.ensureOpen();
    const meta = Buffer.from(JSON.stringify(snapshot.meta), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(meta.byteLength);
    const digest = createHash('sha256').update(MAGIC).update(length).update(meta).update(snapshot.data).digest();
    guarded(WHAT, this.file, 'save', () => replaceFileDurably(this.dir, FILE_NAME, [MAGIC, length, meta, snapshot.data, digest]));
  }

  close(): void {
    this.closed = true;
  }

  private decode(bytes: Buffer): Snapshot {
    const headerBytes = MAGIC.byteLength + 4;
    if (bytes.byteLength < headerBytes + DIGEST_BYTES || !bytes.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
      throw corruption(WHAT, this.file, 'it is not a snapshot file');
    }
    const body = bytes.subarray(0, bytes.byteLength - DIGEST_BYTES);
    if (!createHash('sha256').update(body).digest().equals(bytes.subarray(body.byteLength))) {
      throw corruption(WHAT, this.file, 'it fails its checksum');
    }
    const metaEnd = headerBytes + bytes.readUInt32BE(MAGIC.byteLength);
    if (metaEnd > body.byteLength) throw corruption(WHAT, this.file, 'its metadata runs past the end of the file');
    const meta = parseMeta(body.subarray(headerBytes, metaEnd).toString('utf8'));
    if (meta === undefined) throw corruption(WHAT, this.file, 'its metadata is not a snapshot description');
    return { meta, data: new Uint8Array(body.subarray(metaEnd)) };
  }

  private ensureOpen(): void {
    if (this.closed) throw new VectorXLiteError('CLOSED', `${WHAT} store in ${this.dir} is closed`);
  }
}

function parseMeta(text: string): SnapshotMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const meta = value as Partial<SnapshotMeta> | null;
  if (meta === null || typeof meta !== 'object') return undefined;
  if (!Number.isSafeInteger(meta.index) || !Number.isSafeInteger(meta.term)) return undefined;
  if (typeof meta.membership !== 'object' || meta.membership === null || !Array.isArray(meta.membership.members)) return undefined;
  return meta as SnapshotMeta;
}
