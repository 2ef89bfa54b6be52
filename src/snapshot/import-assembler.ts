import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import type { SnapshotChunkPB } from '../gen/vectorxlite/v1/vectorxlite.js';
import type { SnapshotMetadata } from '../embedded/types.js';
import { VectorXLiteError } from '../errors.js';
import { encodeContainerHeader } from './container.js';
import { metadataFromWire } from './wire.js';

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', message);
}

/**
 * Turns a stream of snapshot chunks back into a snapshot file, checking as it goes that
 * sequences are consecutive from 0, that each file arrives in metadata order at the right
 * offsets with exactly its size, and that every per-file and the overall SHA-256 match.
 * `finish()` succeeds only after the chunk marked `isFinal`; anything else leaves no file.
 */
export class SnapshotStreamAssembler {
  private handle: FileHandle | undefined;
  private metadata: SnapshotMetadata | undefined;
  private nextSequence = 0;
  private fileIndex = 0;
  private fileReceived = 0;
  private fileHash: Hash = createHash('sha256');
  private readonly overallHash: Hash = createHash('sha256');
  private writePosition = 0;
  private finalSeen = false;
  private failed = false;

  constructor(private readonly destPath: string) {}

  async accept(chunk: SnapshotChunkPB): Promise<void> {
    try {
      await this.acceptChecked(chunk);
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  /** Completes the file; throws SNAPSHOT_INVALID when the stream ended early. */
  async finish(): Promise<SnapshotMetadata> {
    if (this.failed) throw invalid('snapshot stream was rejected earlier');
    if (!this.metadata || !this.finalSeen) {
      throw invalid('snapshot stream ended before the chunk marked is_final; nothing was imported');
    }
    // On disk before anyone renames it into place or imports it.
    await (this.handle as FileHandle).sync();
    await this.closeHandle();
    return this.metadata;
  }

  /** Removes the partial file; safe to call in any state and more than once. */
  async discard(): Promise<void> {
    await this.closeHandle();
    await rm(this.destPath, { force: true });
  }

  private async acceptChecked(chunk: SnapshotChunkPB): Promise<void> {
    if (this.failed) throw invalid('snapshot stream was rejected earlier');
    if (this.finalSeen) throw invalid('snapshot stream has chunks after the one marked is_final');
    if (chunk.sequence !== this.nextSequence) {
      throw invalid(`snapshot chunk sequence ${chunk.sequence} arrived where ${this.nextSequence} was expected (gap or reorder)`);
    }
    this.nextSequence++;
    if (chunk.sequence === 0) {
      if (!chunk.metadata) throw invalid('the first snapshot chunk (sequence 0) must carry the metadata');
      this.metadata = metadataFromWire(chunk.metadata);
      this.handle = await open(this.destPath, 'w');
      await this.write(encodeContainerHeader(this.metadata));
    } else if (chunk.metadata) {
      throw invalid(`snapshot chunk ${chunk.sequence} carries metadata; only the first chunk may`);
    }
    if (chunk.fileChunk) await this.acceptFileBytes(chunk.sequence, chunk.fileChunk);
    if (chunk.isFinal) this.acceptFinal();
  }

  private async acceptFileBytes(sequence: number, fileChunk: NonNullable<SnapshotChunkPB['fileChunk']>): Promise<void> {
    const metadata = this.metadata as SnapshotMetadata;
    const expected = metadata.files[this.fileIndex];
    if (!expected) throw invalid(`snapshot chunk ${sequence} has bytes of ${fileChunk.fileName} after every listed file was complete`);
    if (fileChunk.fileName !== expected.fileName) {
      throw invalid(`snapshot chunk ${sequence} has bytes of ${fileChunk.fileName} where ${expected.fileName} was expected`);
    }
    if (fileChunk.offset !== this.fileReceived) {
      throw invalid(`snapshot chunk ${sequence} starts ${expected.fileName} at offset ${fileChunk.offset}, expected ${this.fileReceived}`);
    }
    if (this.fileReceived + fileChunk.data.length > expected.fileSize) {
      throw invalid(`snapshot file ${expected.fileName} has more bytes than its announced ${expected.fileSize}`);
    }
    this.fileHash.update(fileChunk.data);
    this.overallHash.update(fileChunk.data);
    await this.write(fileChunk.data);
    this.fileReceived += fileChunk.data.length;
    if (fileChunk.isLastChunk) {
      if (this.fileReceived !== expected.fileSize) {
        throw invalid(`snapshot file ${expected.fileName} ended at ${this.fileReceived} of ${expected.fileSize} bytes`);
      }
      const digest = this.fileHash.digest('hex');
      if (digest !== expected.checksum) throw invalid(`snapshot file ${expected.fileName} fails its SHA-256 checksum`);
      this.fileIndex++;
      this.fileReceived = 0;
      this.fileHash = createHash('sha256');
    }
  }

  private acceptFinal(): void {
    const metadata = this.metadata as SnapshotMetadata;
    if (this.fileIndex !== metadata.files.length) {
      throw invalid(`snapshot stream marked is_final after ${this.fileIndex} of ${metadata.files.length} files`);
    }
    if (this.overallHash.digest('hex') !== metadata.checksum) {
      throw invalid('snapshot fails its overall SHA-256 checksum');
    }
    this.finalSeen = true;
  }

  private async write(data: Buffer): Promise<void> {
    const handle = this.handle as FileHandle;
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done, this.writePosition);
      done += bytesWritten;
      this.writePosition += bytesWritten;
    }
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.close();
  }
}
