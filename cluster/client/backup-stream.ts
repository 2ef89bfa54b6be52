/**
 * ClusterAdmin.Backup from the client's side: which member to ask, and the stream into a file.
 * Any member serves it (a follower relays the leader's stream); a follower under --no-forward
 * redirects to the leader it knows, and a member that cannot serve (down, no leader known)
 * passes the call on to the next address. Redirects are capped: members with stale views of
 * the leader could otherwise send the call back and forth between them without end.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Client, Metadata } from '@grpc/grpc-js';
import { VectorXLiteError } from '../../src/errors.js';
import { ClusterAdminService, type BackupChunk, type BackupInfo, type BackupRequest } from '../server/admin-proto.js';
import { onDisk } from './backup-file.js';
import { classifyFailure } from './failure.js';
import type { ClusterNodes } from './nodes.js';

/** Redirects one backup follows; a follower names the leader in one, so more mean the members disagree. */
export const MAX_BACKUP_REDIRECTS = 3;

const BackupMethod = ClusterAdminService.Backup;

export interface FetchedBackup {
  info: BackupInfo;
  /** The member that answered (it relayed the leader's stream when it was a follower). */
  via: string;
}

/**
 * Streams a backup into `partial` from the leader as the client knows it, else from the other
 * known members in turn. UNAVAILABLE when none could serve or the redirects exceed the cap.
 * `checkOpen` throws once the client is closed, so a closed client opens no new channel.
 */
export async function fetchBackup(nodes: ClusterNodes, checkOpen: () => void, request: BackupRequest, partial: string, deadline: number): Promise<FetchedBackup> {
  const queue = [...new Set([nodes.leader ?? nodes.local, ...nodes.addresses])];
  const redirectedBy: string[] = [];
  let failure: VectorXLiteError | undefined;
  for (let address = queue.shift(); address !== undefined; address = queue.shift()) {
    checkOpen();
    try {
      const info = await receiveBackup(nodes.stub(address), address, request, nodes.metadata(), deadline, partial);
      return { info, via: address };
    } catch (error) {
      const outcome = classifyFailure(error);
      if (outcome.kind === 'redirect') {
        redirectedBy.push(address);
        if (redirectedBy.length > MAX_BACKUP_REDIRECTS) throw tooManyRedirects([...redirectedBy, outcome.leader], outcome.error);
        nodes.leaderIs(outcome.leader);
        queue.unshift(outcome.leader);
        continue;
      }
      if (outcome.kind !== 'unavailable') throw outcome.error;
      if (address === nodes.leader) nodes.leaderLost();
      failure = outcome.error;
    }
  }
  throw failure ?? new VectorXLiteError('UNAVAILABLE', 'no cluster address to take the backup from');
}

/** One attempt: the stream into `partial` (truncated first), checked against the announced size and SHA-256. */
async function receiveBackup(
  stub: Client,
  address: string,
  request: BackupRequest,
  metadata: Metadata,
  deadline: number,
  partial: string,
): Promise<BackupInfo> {
  const writing = `cannot write the backup next to ${dirname(partial)}`;
  const handle = await onDisk(writing, () => open(partial, 'w'));
  const call = stub.makeServerStreamRequest(BackupMethod.path, BackupMethod.requestSerialize, BackupMethod.responseDeserialize, request, metadata, { deadline });
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
    return info;
  } finally {
    call.cancel();
    await handle.close();
  }
}

function tooManyRedirects(path: string[], cause: VectorXLiteError): VectorXLiteError {
  return new VectorXLiteError(
    'UNAVAILABLE',
    `the backup was redirected ${path.length - 1} times without reaching a leader (${path.join(' -> ')}): those members disagree about who leads, as during an election; retry later`,
    { cause },
  );
}

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', message);
}
