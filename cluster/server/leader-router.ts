/**
 * Where a request that needs the leader is served: here when this node leads, else forwarded
 * to the leader's cluster address (or refused with a redirect under --no-forward).
 */
import { Metadata } from '@grpc/grpc-js';
import type { CallContext } from '../../src/server/adapter.js';
import { NotLeaderError } from '../consensus/errors.js';
import { findMember } from '../consensus/membership.js';
import { CLIENT_ID_METADATA_KEY, CLIENT_SEQ_METADATA_KEY, FORWARDED_BY_METADATA_KEY } from '../metadata-keys.js';
import type { ClusterMetrics } from '../runtime/metrics.js';
import { NotLeaderHere, type RaftNode } from '../runtime/raft-node.js';
import type { PeerClients, UnaryMethod } from './peer-client.js';

/** Metadata that travels with a forwarded call; the cluster token is added by PeerClients. */
const CARRIED_KEYS = ['x-request-id', CLIENT_ID_METADATA_KEY, CLIENT_SEQ_METADATA_KEY];

export interface LeaderRouterOptions {
  /** False under --no-forward: followers answer with a redirect instead. */
  forward: boolean;
  metrics: ClusterMetrics;
  /** Deadline of a forwarded call. */
  forwardTimeoutMs: number;
}

export class LeaderRouter {
  constructor(
    private readonly node: RaftNode,
    private readonly peers: PeerClients,
    private readonly options: LeaderRouterOptions,
  ) {}

  /** Serves with `local` on the leader, else sends the same request to the leader by `method`. */
  serve<Req, Res>(ctx: CallContext, request: Req, method: UnaryMethod<Req, Res>, local: () => Promise<Res>, timeoutMs = this.options.forwardTimeoutMs): Promise<Res> {
    return this.route(ctx, local, (leaderAddr, metadata) => this.peers.call(leaderAddr, method, request, metadata, timeoutMs));
  }

  /**
   * serve() for calls of any shape (a server stream, say): `forward` makes the same call to the
   * leader's cluster address with the metadata a forwarded call carries.
   */
  async route<T>(ctx: CallContext, local: () => Promise<T>, forward: (leaderAddr: string, metadata: Metadata) => Promise<T>): Promise<T> {
    if (this.node.isLeader) {
      try {
        return await local();
      } catch (error) {
        throw this.translate(error);
      }
    }
    const leader = this.node.leader();
    if (!leader?.clusterAddr) throw NotLeaderHere.of(undefined);
    this.options.metrics.leaderRedirects.inc();
    if (!this.options.forward || ctx.metadata.get(FORWARDED_BY_METADATA_KEY).length > 0) throw NotLeaderHere.of(leader);
    const metadata = new Metadata();
    for (const key of CARRIED_KEYS) {
      const value = ctx.metadata.get(key)[0];
      if (typeof value === 'string') metadata.set(key, value);
    }
    metadata.set(FORWARDED_BY_METADATA_KEY, this.node.id);
    return forward(leader.clusterAddr, metadata);
  }

  /** A leadership loss inside the driver becomes a redirect to whoever leads now. */
  private translate(error: unknown): unknown {
    if (!(error instanceof NotLeaderError)) return error;
    const leader = error.leaderId === null ? undefined : findMember(this.node.status().membership, error.leaderId);
    return NotLeaderHere.of(leader);
  }
}

/** The writer identity the client sent, if any, so a retry after a leader change is applied once. */
export function writerOf(metadata: Metadata): { clientId?: string; seq?: number } {
  const clientId = metadata.get(CLIENT_ID_METADATA_KEY)[0];
  const seq = metadata.get(CLIENT_SEQ_METADATA_KEY)[0];
  if (typeof clientId !== 'string' || typeof seq !== 'string') return {};
  return { clientId, seq: Number(seq) };
}
