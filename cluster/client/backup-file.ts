/**
 * Saving a backup (a snapshot file, docs/snapshot-format.md) so that the target path holds
 * either what it held before or a complete, verified snapshot, never a part of one: the bytes
 * go to a staging directory next to the target, are fsynced, read back and verified like an
 * import would (every SHA-256), then renamed over the target and the directory fsynced.
 *
 * The one implementation behind ClusterClient.backup and `vxctl backup` (cluster and
 * standalone). A staging directory rather than a temporary file, because whatever fills it
 * may make temporary files of its own (VectorXLiteClient.exportSnapshotToFile does): removing
 * the directory removes them all, also from a signal handler that knows none of their names.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { VectorXLiteError } from '../../src/errors.js';
import { fsyncPath } from '../../src/snapshot/fsync.js';
import { verifySnapshotFile, type VerifiedSnapshotFile } from './verify-snapshot.js';

export interface SavedSnapshotFile<T> extends VerifiedSnapshotFile {
  /** Absolute path of the file written. */
  file: string;
  /** What `fill` returned. */
  filled: T;
}

/** Staging directories of saves in progress in this process. */
const unfinished = new Set<string>();

/**
 * Saves the snapshot `fill` writes at the path it is given as `out`. `fill` may write the path
 * more than once (a retry on another node truncates it). IO_ERROR for the file system's
 * failures, SNAPSHOT_INVALID when the bytes read back are not a sound snapshot; on any failure
 * the staging directory is removed and `out` is left as it was.
 */
export async function saveSnapshotFile<T>(out: string, fill: (partial: string) => Promise<T>): Promise<SavedSnapshotFile<T>> {
  const target = resolve(out);
  const dir = dirname(target);
  const staging = join(dir, `.${basename(target)}.${randomUUID()}.partial`);
  const writing = `cannot write the backup next to ${dir}`;
  await onDisk(writing, () => mkdir(staging));
  unfinished.add(staging);
  try {
    const partial = join(staging, basename(target));
    const filled = await fill(partial);
    // The bytes must be on disk before the rename can make them visible under the real name.
    await onDisk(writing, () => fsyncPath(partial));
    const verified = await onDisk(`cannot read the backup back from ${partial}`, () => verifySnapshotFile(partial));
    await onDisk(`cannot save the backup as ${target}`, async () => {
      await rename(partial, target);
      // The directory entry is data too.
      await fsyncPath(dir, { directory: true });
    });
    return { ...verified, file: target, filled };
  } finally {
    await rm(staging, { recursive: true, force: true });
    unfinished.delete(staging);
  }
}

/**
 * Removes the staging directory of every save in progress. For a SIGINT/SIGTERM handler of a
 * process about to exit, hence synchronous: the awaits of the saves will never resume.
 */
export function discardUnfinishedSnapshotFiles(): number {
  const count = unfinished.size;
  for (const staging of unfinished) rmSync(staging, { recursive: true, force: true });
  unfinished.clear();
  return count;
}

/** A failure of the file system while saving is the environment's (IO_ERROR), not a bug (INTERNAL). */
export async function onDisk<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof VectorXLiteError) throw error;
    throw new VectorXLiteError('IO_ERROR', `${what}: ${(error as Error).message}`, { cause: error });
  }
}
