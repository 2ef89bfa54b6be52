/**
 * `vectorxlite.cluster.ClusterService` (WIRE.md cluster.v1) over one RaftNode. Writes and
 * membership changes are served by the leader (forwarded there from followers); reads honour
 * the request's consistency. Failures are VectorXLiteErrors, answered through the standalone
 * server's CallAdapter and status table; a refusal naming a leader carries the redirect trailers.
 */
import type { handleUnaryCall, Server } from '@grpc/grpc-js';
import {
  ClusterServiceService,
  ReadConsistency,
  type ClusterInfoResponse,
  type ClusterServiceServer,
  type CollectionExistsRequest,
  type CollectionExistsResponse,
  type CreateCollectionRequest,
  type CreateCollectionResponse,
  type DeleteCollectionRequest,
  type DeleteCollectionResponse,
  type DeleteRequest,
  type DeleteResponse,
  type InsertRequest,
  type InsertResponse,
  type JoinClusterRequest,
  type JoinClusterResponse,
  type LeaveClusterRequest,
  type LeaveClusterResponse,
  type SearchRequest,
  type SearchResponse,
} from '../../src/gen/cluster/v1/cluster.js';
import { VectorXLiteError } from '../../src/errors.js';
import type { CallAdapter, CallContext, MethodOptions } from '../../src/server/adapter.js';
import { parseDistance } from '../../src/server/distance.js';
import { checkCollectionDimension, checkDimension, checkTopK, type RequestLimits } from '../../src/server/limits.js';
import { withSafeDecoding } from '../../src/server/malformed.js';
import { payloadToKeyValues } from '../../src/server/payload.js';
import { roleOf } from '../runtime/metrics.js';
import { NotLeaderHere, type RaftNode } from '../runtime/raft-node.js';
import { writerOf, type LeaderRouter } from './leader-router.js';
import type { UnaryMethod } from './peer-client.js';
import { withRedirectTrailers } from './redirect.js';

export const CLUSTER_SERVICE_NAME = 'vectorxlite.cluster.ClusterService';
const DEFAULT_TOP_K = 10;

export interface ClusterServiceOptions {
  node: RaftNode;
  adapter: CallAdapter;
  router: LeaderRouter;
  limits: RequestLimits;
  /** How long a JoinCluster waits for the new node to catch up before promoting it. */
  joinCatchUpMs: number;
  /** How long a leader leaving the cluster waits for its successor. */
  handOffMs: number;
}

export class ClusterService {
  constructor(private readonly options: ClusterServiceOptions) {}

  addTo(server: Server): void {
    const handlers: ClusterServiceServer = {
      createCollection: this.unary('CreateCollection', (r: CreateCollectionRequest, ctx) => this.createCollection(r, ctx), { operation: 'create_collection' }),
      insert: this.unary('Insert', (r: InsertRequest, ctx) => this.insert(r, ctx), { operation: 'insert' }),
      delete: this.unary('Delete', (r: DeleteRequest, ctx) => this.delete(r, ctx), { operation: 'delete' }),
      deleteCollection: this.unary('DeleteCollection', (r: DeleteCollectionRequest, ctx) => this.deleteCollection(r, ctx), { operation: 'delete_collection' }),
      search: this.unary('Search', (r: SearchRequest, ctx) => this.search(r, ctx), { operation: 'search' }),
      collectionExists: this.unary('CollectionExists', (r: CollectionExistsRequest, ctx) => this.collectionExists(r, ctx), { operation: 'collection_exists' }),
      getClusterInfo: this.unary('GetClusterInfo', () => this.clusterInfo()),
      joinCluster: this.unary('JoinCluster', (r: JoinClusterRequest, ctx) => this.joinCluster(r, ctx)),
      leaveCluster: this.unary('LeaveCluster', (r: LeaveClusterRequest, ctx) => this.leaveCluster(r, ctx)),
    };
    server.addService(withSafeDecoding(ClusterServiceService), handlers);
  }

  private unary<Req, Res>(method: string, handler: (request: Req, ctx: CallContext) => Promise<Res>, options?: MethodOptions): handleUnaryCall<Req, Res> {
    return withRedirectTrailers(handler, (h) => this.options.adapter.unary(method, h, options));
  }

  private get node(): RaftNode {
    return this.options.node;
  }

  private get router(): LeaderRouter {
    return this.options.router;
  }

  private createCollection(r: CreateCollectionRequest, ctx: CallContext): Promise<CreateCollectionResponse> {
    return this.router.serve(ctx, r, ClusterServiceService.createCollection, async () => {
      checkCollectionDimension(r.vectorDimension, this.options.limits);
      await this.node.write({
        ...writerOf(ctx.metadata),
        type: 'createCollection',
        collection: {
          name: r.collectionName,
          dimension: r.vectorDimension,
          distance: parseDistance(r.distance),
          payloadSchema: r.payloadTableSchema || undefined,
        },
      });
      return { success: true, message: `created collection ${r.collectionName}` };
    });
  }

  private insert(r: InsertRequest, ctx: CallContext): Promise<InsertResponse> {
    return this.router.serve(ctx, r, ClusterServiceService.insert, async () => {
      checkDimension(r.vector.length, this.options.limits, 'the vector');
      await this.node.write({
        ...writerOf(ctx.metadata),
        type: 'insert',
        collection: r.collectionName,
        point: { id: r.id, vector: Float32Array.from(r.vector), payloadInsertQuery: r.payloadInsertQuery || undefined },
      });
      return { success: true, message: `inserted point ${r.id}` };
    });
  }

  private delete(r: DeleteRequest, ctx: CallContext): Promise<DeleteResponse> {
    return this.router.serve(ctx, r, ClusterServiceService.delete, async () => {
      const result = await this.node.write({ ...writerOf(ctx.metadata), type: 'delete', collection: r.collectionName, id: r.id });
      const deleted = result.ok && result.deleted === true;
      return { success: true, message: deleted ? `deleted point ${r.id}` : `no point ${r.id} in ${r.collectionName}; nothing deleted` };
    });
  }

  private deleteCollection(r: DeleteCollectionRequest, ctx: CallContext): Promise<DeleteCollectionResponse> {
    return this.router.serve(ctx, r, ClusterServiceService.deleteCollection, async () => {
      await this.node.write({ ...writerOf(ctx.metadata), type: 'deleteCollection', collection: r.collectionName });
      return { success: true, message: `deleted collection ${r.collectionName}` };
    });
  }

  private search(r: SearchRequest, ctx: CallContext): Promise<SearchResponse> {
    const topK = r.topK || DEFAULT_TOP_K;
    checkTopK(topK, this.options.limits);
    checkDimension(r.vector.length, this.options.limits, 'the query vector');
    return this.read(ctx, r, r.consistency, ClusterServiceService.search, async () => {
      const hits = await this.node.engine.search({
        collection: r.collectionName,
        vector: r.vector,
        topK,
        payloadSearchQuery: r.payloadSearchQuery || undefined,
      });
      return { results: hits.map((h) => ({ rowid: h.id, distance: h.distance, payload: payloadToKeyValues(h.payload) })) };
    });
  }

  private collectionExists(r: CollectionExistsRequest, ctx: CallContext): Promise<CollectionExistsResponse> {
    return this.read(ctx, r, r.consistency, ClusterServiceService.collectionExists, async () => ({
      exists: await this.node.engine.collectionExists(r.collectionName),
    }));
  }

  /** NONE: this node's data. WEAK (and unspecified): the leader's. LINEARIZABLE: the leader's after a ReadIndex barrier. */
  private read<Req, Res>(
    ctx: CallContext,
    request: Req,
    consistency: ReadConsistency,
    method: UnaryMethod<Req, Res>,
    local: () => Promise<Res>,
  ): Promise<Res> {
    switch (consistency) {
      case ReadConsistency.READ_CONSISTENCY_NONE:
        return local();
      case ReadConsistency.READ_CONSISTENCY_LINEARIZABLE:
        return this.router.serve(ctx, request, method, async () => {
          await this.node.readBarrier();
          return local();
        });
      case ReadConsistency.READ_CONSISTENCY_UNSPECIFIED:
      case ReadConsistency.READ_CONSISTENCY_WEAK:
        return this.router.serve(ctx, request, method, local);
      default:
        throw new VectorXLiteError('INVALID_ARGUMENT', `unknown consistency ${String(consistency)}; use NONE (1), WEAK (2) or LINEARIZABLE (3)`);
    }
  }

  private async clusterInfo(): Promise<ClusterInfoResponse> {
    const status = this.node.status();
    const view = {
      id: this.node.id,
      role: () => status.role,
      leaderId: () => status.leaderId,
      membership: () => status.membership,
    };
    const leader = this.node.leader();
    return {
      leaderId: status.leaderId ?? '',
      leaderAddr: leader?.raftAddr ?? '',
      leaderClusterAddr: leader?.clusterAddr ?? '',
      state: roleOf(view, this.node.id),
      nodes: status.membership.members.map((m) => ({
        nodeId: m.id,
        addr: m.raftAddr,
        clusterAddr: m.clusterAddr,
        state: roleOf(view, m.id),
        isVoter: m.voter,
      })),
    };
  }

  private joinCluster(r: JoinClusterRequest, ctx: CallContext): Promise<JoinClusterResponse> {
    if (r.nodeId === '') throw new VectorXLiteError('INVALID_ARGUMENT', 'node_id must name the joining node');
    if (!/^.+:\d+$/.test(r.nodeAddr)) throw new VectorXLiteError('INVALID_ARGUMENT', `node_addr must be the joining node's Raft address host:port, got "${r.nodeAddr}"`);
    const timeout = this.options.joinCatchUpMs + 10_000;
    return this.router.serve(
      ctx,
      r,
      ClusterServiceService.joinCluster,
      async () => {
        const outcome = await this.node.addMember({ id: r.nodeId, raftAddr: r.nodeAddr, clusterAddr: r.clusterAddr }, this.options.joinCatchUpMs);
        const message = outcome === 'added' ? `${r.nodeId} joined as a voter` : `${r.nodeId} is already a voter`;
        return { success: true, message, leaderId: this.node.id };
      },
      timeout,
    );
  }

  private async leaveCluster(r: LeaveClusterRequest, ctx: CallContext): Promise<LeaveClusterResponse> {
    if (r.nodeId === '') throw new VectorXLiteError('INVALID_ARGUMENT', 'node_id must name the leaving node');
    // A leader cannot remove itself and keep leading: hand over first, then ask the successor.
    if (r.nodeId === this.node.id && this.node.isLeader) {
      const handedOff = await this.node.handOffLeadership(this.options.handOffMs);
      if (!handedOff) throw new VectorXLiteError('UNAVAILABLE', 'the leader could not hand over leadership before leaving; retry shortly');
    }
    return this.router.serve(ctx, r, ClusterServiceService.leaveCluster, async () => {
      if (r.nodeId === this.node.id) throw NotLeaderHere.of(this.node.leader());
      await this.node.removeMember(r.nodeId);
      return { success: true, message: `${r.nodeId} left the cluster` };
    });
  }
}
