/**
 * Checks a snapshot file on disk the way the engine's import does before it trusts one
 * (docs/snapshot-format.md): header, metadata, exact length, every file's SHA-256 and the
 * overall SHA-256. Reads the file back, so it proves what was written, not what was sent.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SnapshotMetadata } from '../../src/embedded/types.js';
import { VectorXLiteError } from '../../src/errors.js';
import { readContainerHeader } from '../../src/snapshot/index.js';

export async function verifySnapshotFile(path: string): Promise<SnapshotMetadata> {
  const { metadata, dataOffset } = await readContainerHeader(path);
  const overall = createHash('sha256');
  let start = dataOffset;
  for (const file of metadata.files) {
    const hash = createHash('sha256');
    if (file.fileSize > 0) {
      for await (const bytes of createReadStream(path, { start, end: start + file.fileSize - 1 })) {
        hash.update(bytes as Buffer);
        overall.update(bytes as Buffer);
      }
    }
    if (hash.digest('hex') !== file.checksum) throw invalid(`${path}: file ${file.fileName} fails its SHA-256 checksum`);
    start += file.fileSize;
  }
  if (overall.digest('hex') !== metadata.checksum) throw invalid(`${path}: the overall SHA-256 checksum does not match`);
  return metadata;
}

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', message);
}
