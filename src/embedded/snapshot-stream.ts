/**
 * Chunked snapshots for VectorXLite.exportSnapshotStream / importSnapshotStream, over the
 * addon's reader and writer handles (crates/node/src/snapshot_stream.rs). The snapshot is
 * staged in a file, so one chunk at a time is in memory whatever its size. Each handle call
 * is awaited before the next: the addon refuses overlapping calls, which could reorder chunks.
 */
import { VectorXLiteError } from '../errors.js';
import { call, fromNative } from './native-call.js';
import type { NativeAddon, NativeHandle, NativeSnapshotWriter } from './native.js';
import type { ImportResult } from './types.js';
import { validateChunk } from './validate.js';

/**
 * The chunks of one consistent snapshot, in order. However the loop ends (the last chunk,
 * a `break`, an error thrown in its body or by a read), the reader is closed and its
 * staged file removed before the loop is left.
 */
export async function* readSnapshotChunks(
  addon: NativeAddon,
  handle: NativeHandle,
  options: { stagingDir: string; chunkSize?: number },
): AsyncGenerator<Buffer, void, undefined> {
  const reader = await call(() => addon.snapshotReaderOpen(handle, options));
  try {
    for (let chunk = await call(() => addon.snapshotReaderNext(reader)); chunk !== null; chunk = await call(() => addon.snapshotReaderNext(reader))) {
      yield chunk;
    }
  } finally {
    await call(() => addon.snapshotReaderClose(reader));
  }
}

/** The source's own failure, as the one error type; the source's error is its `cause`. */
function sourceFailed(error: unknown): VectorXLiteError {
  const message = error instanceof Error ? error.message : String(error);
  return new VectorXLiteError('CANCELLED', `the snapshot import was given up because its source failed: ${message}`, { cause: error });
}

/** Pulls the next chunk; a throw or rejection of the source itself becomes CANCELLED. */
async function nextFromSource(chunks: AsyncIterator<unknown> | Iterator<unknown>): Promise<IteratorResult<unknown>> {
  try {
    return await chunks.next();
  } catch (error) {
    throw sourceFailed(error);
  }
}

function iterate(source: AsyncIterable<unknown> | Iterable<unknown>): AsyncIterator<unknown> | Iterator<unknown> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

/**
 * Writes `source`'s chunks in order and imports them: `finish` verifies every checksum
 * before the database is replaced atomically. On any failure (a bad chunk, the source
 * throwing, the import refused) the writer is aborted, its staged chunks removed, the
 * source closed (its `return()`), and the database is left as it was.
 */
export async function writeSnapshotChunks(
  addon: NativeAddon,
  handle: NativeHandle,
  source: AsyncIterable<unknown> | Iterable<unknown>,
  options: { stagingDir: string },
): Promise<ImportResult> {
  const writer = await call(() => addon.snapshotWriterOpen(handle, options));
  const chunks = iterate(source);
  let sourceDone = false;
  try {
    for (let index = 0; ; index++) {
      const next = await nextFromSource(chunks);
      if (next.done === true) break;
      const chunk = validateChunk(next.value, index);
      await call(() => addon.snapshotWriterWrite(writer, chunk));
    }
    sourceDone = true;
    return await call(() => addon.snapshotWriterFinish(writer, handle));
  } catch (error) {
    await abort(addon, writer);
    if (!sourceDone) await closeSource(chunks);
    throw fromNative(error);
  }
}

/** Removes the staged chunks; its own failure must not hide why the import failed. */
async function abort(addon: NativeAddon, writer: NativeSnapshotWriter): Promise<void> {
  await call(() => addon.snapshotWriterAbort(writer)).catch(() => undefined);
}

/** Lets the source release what it holds (a file, a socket), as `for await` would on an early exit. */
async function closeSource(chunks: AsyncIterator<unknown> | Iterator<unknown>): Promise<void> {
  try {
    await chunks.return?.();
  } catch {
    // The import already failed for a reason worth reporting; a source that also fails to close adds nothing.
  }
}
