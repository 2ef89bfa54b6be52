/**
 * Reads and writes snapshot files by docs/snapshot-format.md, independently of the engine, so
 * tests can check what the engine wrote and hand it crafted or damaged files.
 */
import { createHash } from 'node:crypto';
import type { SnapshotFileInfo, SnapshotMetadata } from '../../src/embedded/types.js';

export const SNAPSHOT_MAGIC = 'VXLSNAP1';
export const HEADER_SIZE = 12;

export interface SnapshotFile {
  metadata: SnapshotMetadata;
  /** Byte length of the metadata JSON; file data starts at HEADER_SIZE + metadataLength. */
  metadataLength: number;
  /** Each file's bytes, in metadata.files order. */
  files: Buffer[];
}

export function sha256(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** Parses a well-formed snapshot; throws on anything else (tests use it on the engine's own output). */
export function readSnapshotFile(bytes: Buffer): SnapshotFile {
  if (bytes.subarray(0, 8).toString('latin1') !== SNAPSHOT_MAGIC) throw new Error('bad magic');
  const metadataLength = bytes.readUInt32LE(8);
  const metadata = JSON.parse(bytes.subarray(HEADER_SIZE, HEADER_SIZE + metadataLength).toString('utf8')) as SnapshotMetadata;
  let offset = HEADER_SIZE + metadataLength;
  const files = metadata.files.map((file) => {
    const data = bytes.subarray(offset, offset + file.fileSize);
    offset += file.fileSize;
    return data;
  });
  if (offset !== bytes.length) throw new Error(`length ${bytes.length}, expected ${offset}`);
  return { metadata, metadataLength, files };
}

/** Builds a snapshot around `files` with every size and checksum filled in consistently. */
export function writeSnapshotFile(
  files: Array<{ fileName: string; fileType: SnapshotFileInfo['fileType']; data: Buffer }>,
  overrides: Partial<SnapshotMetadata> = {},
): Buffer {
  const metadata: SnapshotMetadata = {
    snapshotId: 'crafted-by-test',
    createdAt: Date.now(),
    totalSize: files.reduce((sum, f) => sum + f.data.length, 0),
    files: files.map((f) => ({ fileName: f.fileName, fileType: f.fileType, fileSize: f.data.length, checksum: sha256(f.data) })),
    version: 1,
    checksum: sha256(...files.map((f) => f.data)),
    ...overrides,
  };
  const json = Buffer.from(JSON.stringify(metadata), 'utf8');
  const header = Buffer.alloc(HEADER_SIZE);
  header.write(SNAPSHOT_MAGIC, 0, 'latin1');
  header.writeUInt32LE(json.length, 8);
  return Buffer.concat([header, json, ...files.map((f) => f.data)]);
}
