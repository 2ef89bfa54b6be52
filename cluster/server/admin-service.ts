/** Handlers of `vectorxlite.cluster.admin.ClusterAdmin` (see admin-proto.ts). */
import type { Server, UntypedServiceImplementation } from '@grpc/grpc-js';
import { VectorXLiteError } from '../../src/errors.js';
import type { CallAdapter, CallContext } from '../../src/server/adapter.js';
import { checkBatchSize, checkDimension, type RequestLimits } from '../../src/server/limits.js';
import { withSafeDecoding } from '../../src/server/malformed.js';
import type { RaftNode } from '../runtime/raft-node.js';
import {
  ClusterAdminService,
  type BackupChunk,
  type BackupRequest,
  type InsertBatchRequest,
  type InsertBatchResponse,
  type StateDigestResponse,
} from './admin-proto.js';
import { backupChunks, backupChunkSize, takeBackup } from './backup.js';
import { withStreamRedirectTrailers } from './backup-redirect.js';
import { writerOf, type LeaderRouter } from './leader-router.js';
import type { PeerClients, UnaryMethod } from './peer-client.js';
import { withRedirectTrailers } from './redirect.js';

export interface AdminServiceOptions {
  node: RaftNode;
  adapter: CallAdapter;
  router: LeaderRouter;
  limits: RequestLimits;
  /** Forwards a follower's Backup stream to the leader. */
  peers: PeerClients;
}

export const InsertBatchMethod = ClusterAdminService.InsertBatch as unknown as UnaryMethod<InsertBatchRequest, InsertBatchResponse>;
export const BackupMethod = ClusterAdminService.Backup as unknown as UnaryMethod<BackupRequest, BackupChunk>;

export class AdminService {
  constructor(private readonly options: AdminServiceOptions) {}

  addTo(server: Server): void {
    const a = this.options.adapter;
    const handlers: UntypedServiceImplementation = {
      InsertBatch: withRedirectTrailers((r: InsertBatchRequest, ctx: CallContext) => this.insertBatch(r, ctx), (h) =>
        a.unary('InsertBatch', h, { operation: 'insert_batch' }),
      ),
      StateDigest: a.unary('StateDigest', () => this.stateDigest()),
      Backup: withStreamRedirectTrailers(
        (r: BackupRequest, send: (c: BackupChunk) => Promise<void>, ctx: CallContext) => this.backup(r, send, ctx),
        (h) => a.serverStreaming('Backup', h, { operation: 'backup' }),
      ),
    };
    server.addService(withSafeDecoding(ClusterAdminService), handlers);
  }

  private insertBatch(r: InsertBatchRequest, ctx: CallContext): Promise<InsertBatchResponse> {
    const { node, router, limits } = this.options;
    return router.serve(ctx, r, InsertBatchMethod, async () => {
      checkBatchSize(r.points.length, limits);
      if (r.points.length === 0) throw new VectorXLiteError('INVALID_ARGUMENT', 'the batch has no points');
      r.points.forEach((p, i) => checkDimension(p.vector.length, limits, `point #${i} (id ${p.id})`));
      await node.write({
        ...writerOf(ctx.metadata),
        type: 'insertBatch',
        collection: r.collectionName,
        points: r.points.map((p) => ({ id: p.id, vector: Float32Array.from(p.vector), payloadInsertQuery: p.payloadInsertQuery || undefined })),
      });
      return { success: true, message: `inserted ${r.points.length} points`, inserted: r.points.length };
    });
  }

  /**
   * Served by the leader (a follower relays the leader's stream) after a ReadIndex, so the
   * backup holds every write acknowledged before the call began (see backup.ts).
   */
  private backup(r: BackupRequest, send: (chunk: BackupChunk) => Promise<void>, ctx: CallContext): Promise<void> {
    const { node, router, peers } = this.options;
    return router.route(
      ctx,
      async () => {
        const chunkSize = backupChunkSize(r.chunkSize);
        const started = performance.now();
        const backup = await takeBackup(node);
        const { appliedIndex, term, size, snapshotId } = backup.info;
        // How long the copy took: applies waited at most that long (see RaftNode.captureState).
        ctx.log.info({ appliedIndex, term, size, snapshotId, takenMs: Math.round(performance.now() - started) }, 'streaming a backup');
        for (const chunk of backupChunks(backup, chunkSize)) await send(chunk);
      },
      async (leaderAddr, metadata) => {
        for await (const chunk of peers.stream(leaderAddr, BackupMethod, r, metadata, ctx.signal)) await send(chunk);
      },
    );
  }

  /** This node's own view: compare the digests of all nodes once their applied indexes agree. */
  private async stateDigest(): Promise<StateDigestResponse> {
    const { node } = this.options;
    const { digest, appliedIndex } = await node.digest();
    return { digest, appliedIndex, commitIndex: node.status().commit, nodeId: node.id };
  }
}
