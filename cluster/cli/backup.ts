/**
 * `vxctl backup`: streams ClusterAdmin.Backup from any member (followers relay the leader's
 * stream) into a file, atomically: a temporary file next to the target, checked against the
 * size and SHA-256 the leader announced, fsynced, read back and verified like an import would,
 * then renamed over the target and the directory fsynced. Nothing is left at the target unless
 * every check passed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { channelFor, type ClientOptions } from '../../src/client/client.js';
import { fromServiceError } from '../../src/client/errors.js';
import { VectorXLiteError } from '../../src/errors.js';
import { ClusterAdminService, type BackupChunk, type BackupInfo, type BackupRequest } from '../server/admin-proto.js';
import { LEADER_ADDR_METADATA_KEY } from '../metadata-keys.js';
import { fsyncDirectory } from '../storage/durable-file.js';
import { verifySnapshotFile } from './verify-snapshot.js';

export interface SavedBackup extends BackupInfo {
  /** Absolute path of the file written. */
  file: string;
  /** The member that answered (it relayed the leader's stream when it was a follower). */
  via: string;
}

const BackupMethod = ClusterAdminService.Backup;

/**
 * Tries `addresses` in order; a node that cannot serve (no leader known, down) passes the
 * call on to the next, and a redirect (a follower under --no-forward) to the leader it names.
 */
export async function saveBackup(addresses: readonly string[], options: ClientOptions, out: string, request: BackupRequest): Promise<SavedBackup> {
  const target = resolve(out);
  const queue = [...addresses];
  let failure: VectorXLiteError | undefined;
  for (let address = queue.shift(); address !== undefined; address = queue.shift()) {
    const partial = join(dirname(target), `.${basename(target)}.${randomUUID()}.partial`);
    try {
      const info = await download(address, options, request, partial);
      await onDisk(`cannot read the backup back from ${partial}`, () => verifySnapshotFile(partial));
      await onDisk(`cannot save the backup as ${target}`, async () => {
        await rename(partial, target);
        fsyncDirectory(dirname(target));
      });
      return { ...info, file: target, via: address };
    } catch (error) {
      await rm(partial, { force: true });
      failure = fromServiceError(error);
      const leader = (error as Partial<ServiceError>).metadata?.get(LEADER_ADDR_METADATA_KEY)[0];
      const redirected = typeof leader === 'string' && leader !== '' && leader !== address;
      if (redirected) queue.unshift(leader);
      else if (failure.code !== 'UNAVAILABLE') throw failure;
    }
  }
  throw failure ?? new VectorXLiteError('INVALID_ARGUMENT', 'no address to take the backup from');
}

/** One attempt: the stream into `partial`, checked against the announced size and SHA-256, fsynced. */
async function download(address: string, options: ClientOptions, request: BackupRequest, partial: string): Promise<BackupInfo> {
  const writing = `cannot write the backup next to ${dirname(partial)}`;
  const handle: FileHandle = await onDisk(writing, () => open(partial, 'wx'));
  const channel = channelFor(options);
  const client = new Client(address, channel.credentials, channel.options);
  const metadata = new Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  const deadline = options.deadlineMs === undefined ? Infinity : Date.now() + options.deadlineMs;
  const call = client.makeServerStreamRequest(BackupMethod.path, BackupMethod.requestSerialize, BackupMethod.responseDeserialize, request, metadata, { deadline });
  try {
    let info: BackupInfo | undefined;
    let received = 0;
    const hash = createHash('sha256');
    for await (const chunk of call as AsyncIterable<BackupChunk>) {
      if (info === undefined) {
        if (!chunk.info) throw invalid(`${address} did not start the backup stream with its description`);
        info = chunk.info;
        continue;
      }
      if (chunk.info) throw invalid(`${address} sent a second backup description mid-stream`);
      hash.update(chunk.data);
      received += chunk.data.length;
      if (received > info.size) throw invalid(`${address} sent more than the ${info.size} bytes it announced`);
      await onDisk(writing, () => handle.write(chunk.data));
    }
    if (info === undefined) throw invalid(`${address} ended the backup stream before sending anything`);
    if (received !== info.size) throw invalid(`the backup stream ended after ${received} of ${info.size} bytes`);
    if (hash.digest('hex') !== info.sha256) throw invalid('the bytes received do not match the SHA-256 the leader announced');
    await onDisk(writing, () => handle.sync());
    return info;
  } finally {
    call.cancel();
    await handle.close();
    client.close();
  }
}

/** A failure of the file system while saving is the environment's (IO_ERROR), not a bug of vxctl (INTERNAL). */
async function onDisk<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof VectorXLiteError) throw error;
    throw new VectorXLiteError('IO_ERROR', `${what}: ${(error as Error).message}`, { cause: error });
  }
}

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', message);
}
