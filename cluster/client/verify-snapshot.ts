/**
 * Checks a snapshot file on disk the way the engine's import does before it trusts one
 * (docs/snapshot-format.md): header, metadata, exact length, every file's SHA-256 and the
 * overall SHA-256. Reads the file back, so it proves what was written, not what was sent.
 * TypeScript over node:fs and node:crypto only: the client entry verifies without the addon.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SnapshotMetadata } from '../../src/embedded/types.js';
import { VectorXLiteError } from '../../src/errors.js';
import { readContainerHeader } from '../../src/snapshot/index.js';

export interface VerifiedSnapshotFile {
  /** The container's metadata (snapshot id, creation time, files). */
  snapshot: SnapshotMetadata;
  /** Length and SHA-256 (hex) of the whole file, header included. */
  size: number;
  sha256: string;
}

export async function verifySnapshotFile(path: string): Promise<VerifiedSnapshotFile> {
  const { metadata, dataOffset } = await readContainerHeader(path);
  const whole = createHash('sha256');
  await hashRange(path, 0, dataOffset, [whole]);
  const overall = createHash('sha256');
  let start = dataOffset;
  for (const file of metadata.files) {
    const hash = createHash('sha256');
    await hashRange(path, start, file.fileSize, [hash, overall, whole]);
    if (hash.digest('hex') !== file.checksum) throw invalid(`${path}: file ${file.fileName} fails its SHA-256 checksum`);
    start += file.fileSize;
  }
  if (overall.digest('hex') !== metadata.checksum) throw invalid(`${path}: the overall SHA-256 checksum does not match`);
  return { snapshot: metadata, size: start, sha256: whole.digest('hex') };
}

/** Feeds `length` bytes of the file from `start` to every hash. */
async function hashRange(path: string, start: number, length: number, hashes: Hash[]): Promise<void> {
  if (length === 0) return;
  for await (const bytes of createReadStream(path, { start, end: start + length - 1 })) {
    for (const hash of hashes) hash.update(bytes as Buffer);
  }
}

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', message);
}
