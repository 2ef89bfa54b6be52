/**
 * A node started with --join on an empty data dir asks a member to add it, retrying until the
 * cluster accepts (a leader may be changing, or another membership change may be under way).
 */
import { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { VectorXLiteError } from '../../src/errors.js';
import { ClusterServiceService } from '../../src/gen/cluster/v1/cluster.js';
import type { Member } from '../consensus/types.js';
import { NotLeaderHere } from '../runtime/raft-node.js';
import type { PeerClients } from '../server/peer-client.js';

export interface JoinOptions {
  via: string;
  id: string;
  raftAddr: string;
  clusterAddr: string;
  peers: PeerClients;
  /** Receives the members the seed reports, so this node can answer them before it holds a configuration. */
  addContacts: (members: Member[]) => void;
  logger: Logger;
  /** Deadline of one JoinCluster call (the leader waits for the catch-up inside it). */
  callTimeoutMs: number;
  /** Stops retrying once aborted (the node is shutting down). */
  signal: AbortSignal;
}

const RETRY_MS = 500;
const INFO_TIMEOUT_MS = 5_000;

/** Resolves once this node is a voter; rejects only on a refusal retrying cannot fix. */
export async function joinCluster(options: JoinOptions): Promise<void> {
  const { peers, logger, signal } = options;
  const request = { nodeId: options.id, nodeAddr: options.raftAddr, clusterAddr: options.clusterAddr };
  let target = options.via;
  while (!signal.aborted) {
    try {
      const info = await peers.call(target, ClusterServiceService.getClusterInfo, {}, new Metadata(), INFO_TIMEOUT_MS);
      options.addContacts(info.nodes.map((n) => ({ id: n.nodeId, voter: n.isVoter, raftAddr: n.addr, clusterAddr: n.clusterAddr })));
      const response = await peers.call(target, ClusterServiceService.joinCluster, request, new Metadata(), options.callTimeoutMs);
      logger.info({ via: target, leaderId: response.leaderId, message: response.message }, 'joined the cluster');
      return;
    } catch (error) {
      if (error instanceof NotLeaderHere && error.leaderClusterAddr) {
        target = error.leaderClusterAddr;
        continue;
      }
      const code = error instanceof VectorXLiteError ? error.code : 'INTERNAL';
      if (code === 'INVALID_ARGUMENT' || code === 'ALREADY_EXISTS' || code === 'UNAUTHENTICATED') throw error;
      logger.info({ via: target, code, error: (error as Error).message }, 'join not accepted yet; retrying');
      target = options.via;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
