import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { SnapshotChunkPB } from '../gen/vectorxlite/v1/vectorxlite.js';
import type { SnapshotMetadata } from '../embedded/types.js';
import { VectorXLiteError } from '../errors.js';
import { readContainerHeader } from './container.js';
import { metadataToWire } from './wire.js';

export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Chunks stay well under gRPC's default 4 MiB message limit. */
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024 - 64 * 1024;

export interface ExportStreamOptions {
  /** Bytes of file data per chunk; 0 or absent means 64 KiB. */
  chunkSize?: number;
  /** Whether HNSW index files ride along; without them the importer rebuilds the index. */
  includeIndexFiles?: boolean;
}

export function resolveChunkSize(requested: number | undefined): number {
  const size = requested || DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `chunk_size must be between 1 and ${MAX_CHUNK_SIZE} bytes (0 means 64 KiB)`);
  }
  return size;
}

/**
 * The chunks of a snapshot file in wire order: sequence 0 carries the metadata, then each
 * file's bytes in metadata order; `isFinal` marks the last chunk.
 */
export async function* snapshotChunks(containerPath: string, options: ExportStreamOptions = {}): AsyncGenerator<SnapshotChunkPB> {
  const chunkSize = resolveChunkSize(options.chunkSize);
  const header = await readContainerHeader(containerPath);
  const handle = await open(containerPath, 'r');
  try {
    const kept = keptFiles(header.metadata, header.dataOffset, options.includeIndexFiles ?? true);
    const metadata = await rebuildMetadataIfFiltered(handle, header.metadata, kept, chunkSize);
    const chunkCount = kept.reduce((n, f) => n + Math.max(1, Math.ceil(f.info.fileSize / chunkSize)), 0);
    let sequence = 0;
    yield { metadata: metadataToWire(metadata), fileChunk: undefined, sequence: sequence++, isFinal: chunkCount === 0 };
    for (const file of kept) {
      let offset = 0;
      do {
        const length = Math.min(chunkSize, file.info.fileSize - offset);
        const data = Buffer.alloc(length);
        await readExactly(handle, data, file.start + offset);
        offset += length;
        yield {
          metadata: undefined,
          fileChunk: { fileName: file.info.fileName, offset: offset - length, data, isLastChunk: offset === file.info.fileSize },
          sequence,
          isFinal: sequence === chunkCount,
        };
        sequence++;
      } while (offset < file.info.fileSize);
    }
  } finally {
    await handle.close();
  }
}

interface LocatedFile {
  info: SnapshotMetadata['files'][number];
  /** Offset of the file's bytes in the container. */
  start: number;
}

function keptFiles(metadata: SnapshotMetadata, dataOffset: number, includeIndexFiles: boolean): LocatedFile[] {
  let start = dataOffset;
  const located = metadata.files.map((info) => {
    const file = { info, start };
    start += info.fileSize;
    return file;
  });
  return located.filter((f) => includeIndexFiles || f.info.fileType !== 'hnsw_index');
}

/** Dropping index files changes the totals, so the overall checksum is recomputed over the kept bytes. */
async function rebuildMetadataIfFiltered(
  handle: FileHandle,
  metadata: SnapshotMetadata,
  kept: LocatedFile[],
  chunkSize: number,
): Promise<SnapshotMetadata> {
  if (kept.length === metadata.files.length) return metadata;
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(chunkSize);
  for (const file of kept) {
    for (let offset = 0; offset < file.info.fileSize; offset += chunkSize) {
      const view = buffer.subarray(0, Math.min(chunkSize, file.info.fileSize - offset));
      await readExactly(handle, view, file.start + offset);
      hash.update(view);
    }
  }
  const files = kept.map((f) => f.info);
  return {
    ...metadata,
    files,
    totalSize: files.reduce((n, f) => n + f.fileSize, 0),
    checksum: hash.digest('hex'),
  };
}

async function readExactly(handle: FileHandle, target: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) throw new VectorXLiteError('SNAPSHOT_INVALID', 'snapshot file ended early while streaming');
    done += bytesRead;
  }
}
