import { open, type FileHandle } from 'node:fs/promises';
import { VectorXLiteError } from '../errors.js';
import type { SnapshotFileInfo, SnapshotFileType, SnapshotMetadata } from '../embedded/types.js';

/** The snapshot file container of docs/snapshot-format.md (version 1). */
export const SNAPSHOT_MAGIC = Buffer.from('VXLSNAP1', 'ascii');
export const SNAPSHOT_VERSION = 1;
const HEADER_FIXED_BYTES = 12;
/** Metadata is a few hundred bytes; a larger length field means a corrupt or foreign file. */
const MAX_METADATA_BYTES = 1 << 20;
const FILE_TYPES: readonly SnapshotFileType[] = ['sqlite_db', 'hnsw_index', 'wal'];

export interface ContainerHeader {
  metadata: SnapshotMetadata;
  /** Offset of the first file's bytes. */
  dataOffset: number;
}

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', message);
}

/** The header bytes (magic, length, JSON) that precede the files' bytes. */
export function encodeContainerHeader(metadata: SnapshotMetadata): Buffer {
  const json = Buffer.from(JSON.stringify(metadata), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([SNAPSHOT_MAGIC, length, json]);
}

/** Reads and checks the header of a snapshot file; file checksums are checked by whoever reads the bytes. */
export async function readContainerHeader(path: string): Promise<ContainerHeader> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new VectorXLiteError('IO_ERROR', `cannot open snapshot file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const { size } = await handle.stat();
    const fixed = Buffer.alloc(HEADER_FIXED_BYTES);
    const { bytesRead } = await handle.read(fixed, 0, HEADER_FIXED_BYTES, 0);
    if (bytesRead < HEADER_FIXED_BYTES || !fixed.subarray(0, 8).equals(SNAPSHOT_MAGIC)) {
      throw invalid(`${path} is not a VectorXLite snapshot (missing VXLSNAP1 header)`);
    }
    const metadataLength = fixed.readUInt32LE(8);
    if (metadataLength > MAX_METADATA_BYTES || HEADER_FIXED_BYTES + metadataLength > size) {
      throw invalid(`${path} is truncated or corrupt: metadata length ${metadataLength} does not fit the file`);
    }
    const json = Buffer.alloc(metadataLength);
    await handle.read(json, 0, metadataLength, HEADER_FIXED_BYTES);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.toString('utf8'));
    } catch {
      throw invalid(`${path} has unreadable snapshot metadata (not JSON)`);
    }
    const metadata = validateMetadata(parsed);
    const dataOffset = HEADER_FIXED_BYTES + metadataLength;
    if (size !== dataOffset + metadata.totalSize) {
      throw invalid(
        `${path} has ${size - dataOffset} data bytes but its metadata announces ${metadata.totalSize}; the file is truncated or corrupt`,
      );
    }
    return { metadata, dataOffset };
  } finally {
    await handle.close();
  }
}

/** Checks the shape and internal consistency of snapshot metadata, from a file or the wire. */
export function validateMetadata(value: unknown): SnapshotMetadata {
  const m = value as Partial<SnapshotMetadata> | null;
  if (typeof m !== 'object' || m === null) throw invalid('snapshot metadata must be an object');
  if (m.version !== SNAPSHOT_VERSION) {
    throw invalid(`snapshot format version ${String(m.version)} is not supported (this build reads version ${SNAPSHOT_VERSION})`);
  }
  if (typeof m.snapshotId !== 'string' || m.snapshotId === '') throw invalid('snapshot metadata has no snapshotId');
  if (!Number.isSafeInteger(m.createdAt)) throw invalid('snapshot metadata has no valid createdAt');
  if (!isSha256(m.checksum)) throw invalid('snapshot metadata checksum must be a SHA-256 hex string');
  if (!Array.isArray(m.files) || m.files.length === 0) throw invalid('snapshot metadata lists no files');
  const names = new Set<string>();
  let total = 0;
  const files: SnapshotFileInfo[] = m.files.map((f: Partial<SnapshotFileInfo>, i: number) => {
    if (typeof f.fileName !== 'string' || f.fileName === '' || /[/\\]/.test(f.fileName) || f.fileName.startsWith('.')) {
      throw invalid(`snapshot file #${i} has an invalid name (plain file names only)`);
    }
    if (names.has(f.fileName)) throw invalid(`snapshot lists file ${f.fileName} twice`);
    names.add(f.fileName);
    if (!FILE_TYPES.includes(f.fileType as SnapshotFileType)) {
      throw invalid(`snapshot file ${f.fileName} has unknown type ${String(f.fileType)}`);
    }
    if (!Number.isSafeInteger(f.fileSize) || (f.fileSize as number) < 0) {
      throw invalid(`snapshot file ${f.fileName} has an invalid size`);
    }
    if (!isSha256(f.checksum)) throw invalid(`snapshot file ${f.fileName} checksum must be a SHA-256 hex string`);
    total += f.fileSize as number;
    return { fileName: f.fileName, fileType: f.fileType as SnapshotFileType, fileSize: f.fileSize as number, checksum: f.checksum as string };
  });
  if (!files.some((f) => f.fileType === 'sqlite_db')) throw invalid('snapshot holds no sqlite_db file');
  if (m.totalSize !== total) {
    throw invalid(`snapshot totalSize ${String(m.totalSize)} is not the sum of its file sizes (${total})`);
  }
  return {
    snapshotId: m.snapshotId,
    createdAt: m.createdAt as number,
    totalSize: total,
    files,
    version: m.version,
    checksum: m.checksum as string,
  };
}

function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
