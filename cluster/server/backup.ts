/**
 * Online backups of the replicated state (ClusterAdmin.Backup), taken on the leader:
 *
 * 1. a ReadIndex barrier, so the copy includes every write acknowledged before the backup began;
 * 2. RaftNode.captureState(): the state machine's snapshot between two applied entries (applies
 *    wait meanwhile; writes keep being replicated and committed);
 * 3. the engine snapshot inside it is the backup file: the container of docs/snapshot-format.md,
 *    so VectorXLite.importSnapshot, a standalone server and `vectorxlite-cluster --restore` all
 *    load it. The cluster's own metadata (index, term, members) travels in the stream's first
 *    message, not in the file (see docs/cluster.md, "Backup and restore").
 */
import { createHash } from 'node:crypto';
import type { SnapshotMetadata } from '../../src/embedded/types.js';
import { VectorXLiteError } from '../../src/errors.js';
import { resolveChunkSize, SNAPSHOT_MAGIC, validateMetadata } from '../../src/snapshot/index.js';
import type { RaftNode } from '../runtime/raft-node.js';
import { decodeStateSnapshot } from '../state-machine/snapshot-codec.js';
import type { BackupChunk, BackupInfo } from './admin-proto.js';

/** Data bytes per message when the client asks for no particular size. */
export const DEFAULT_BACKUP_CHUNK_BYTES = 1024 * 1024;

export interface TakenBackup {
  info: BackupInfo;
  /** The whole backup file. */
  file: Buffer;
}

/** Leader only (a follower's barrier fails with NotLeaderError). */
export async function takeBackup(node: RaftNode): Promise<TakenBackup> {
  await node.readBarrier();
  const state = await node.captureState();
  const { engineFile } = decodeStateSnapshot(state.data);
  const file = Buffer.from(engineFile.buffer, engineFile.byteOffset, engineFile.byteLength);
  const engine = containerMetadata(file);
  return {
    info: {
      appliedIndex: state.index,
      term: state.term,
      members: state.membership.members.map((m) => ({ id: m.id, voter: m.voter, raftAddr: m.raftAddr, clusterAddr: m.clusterAddr })),
      leaderId: node.id,
      size: file.length,
      sha256: createHash('sha256').update(file).digest('hex'),
      snapshotId: engine.snapshotId,
      createdAt: engine.createdAt,
    },
    file,
  };
}

/** Bytes per chunk for a request's chunk_size (0: the default); INVALID_ARGUMENT when out of range. */
export function backupChunkSize(requested: number): number {
  return resolveChunkSize(requested || DEFAULT_BACKUP_CHUNK_BYTES);
}

/** The stream of a backup: its info first, then the file in chunks of `chunkSize` bytes. */
export function* backupChunks(backup: TakenBackup, chunkSize: number): Generator<BackupChunk> {
  yield { info: backup.info, data: Buffer.alloc(0) };
  for (let offset = 0; offset < backup.file.length; offset += chunkSize) {
    yield { data: backup.file.subarray(offset, offset + chunkSize) };
  }
}

/** The metadata of an engine snapshot held in memory; the engine just wrote it, so damage is a bug. */
function containerMetadata(file: Buffer): SnapshotMetadata {
  const length = file.length >= 12 ? file.readUInt32LE(8) : 0;
  if (file.length < 12 + length || !file.subarray(0, 8).equals(SNAPSHOT_MAGIC)) {
    throw new VectorXLiteError('INTERNAL', 'the state machine snapshot does not hold an engine snapshot');
  }
  return validateMetadata(JSON.parse(file.subarray(12, 12 + length).toString('utf8')));
}
