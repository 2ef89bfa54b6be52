/**
 * What each replica holds after the run: every id any client tried to write, looked up on
 * that node alone (consistency NONE) in exact `rowid IN (...)` chunks, with its payload.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { StateDigestResponse } from '../../../cluster/server/admin-proto.js';
import { ClusterMethods, ReadConsistency, type TestCluster, type TestNode } from '../helpers/cluster.js';
import type { ReplicaState } from './checker.js';
import { COLLECTION, vectorOf, type Channels } from './workload.js';

const CHUNK = 500;
const READ_TIMEOUT_MS = 20_000;
const SETTLE_ATTEMPTS = 3;
const UNAVAILABLE_RETRIES = 20;
const UNAVAILABLE_PAUSE_MS = 250;

/**
 * Reads every replica once all applied the same committed entries, and again if an entry (an
 * election's no-op) was applied meanwhile, so the rows read match the digests.
 */
export async function readSettledReplicas(cluster: TestCluster, nodes: TestNode[], ids: number[], channels: Channels): Promise<{ digests: StateDigestResponse[]; replicas: ReplicaState[] }> {
  for (let attempt = 1; ; attempt++) {
    const digests = await cluster.settled(nodes);
    const replicas = await Promise.all(nodes.map((node, i) => readReplica(node, ids, channels, digests[i])));
    const after = await cluster.settled(nodes);
    if (after.every((d, i) => d.appliedIndex === digests[i].appliedIndex)) return { digests, replicas };
    if (attempt === SETTLE_ATTEMPTS) throw new Error(`entries kept being applied while the replicas were read (${SETTLE_ATTEMPTS} attempts)`);
  }
}

async function readReplica(node: TestNode, ids: readonly number[], channels: Channels, digest: { digest: string; appliedIndex: number }): Promise<ReplicaState> {
  const state: ReplicaState = { node: node.id, ids: new Set(), corrupt: [], digest: digest.digest, appliedIndex: digest.appliedIndex };
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    const request = {
      collectionName: COLLECTION,
      vector: vectorOf(chunk[0]),
      topK: chunk.length,
      payloadSearchQuery: `SELECT n FROM ${COLLECTION} WHERE rowid IN (${chunk.join(', ')})`,
      consistency: ReadConsistency.READ_CONSISTENCY_NONE,
    };
    const response = await retryUnavailable(() => channels.call(node.clusterAddr, ClusterMethods.search, request, READ_TIMEOUT_MS));
    for (const hit of response.results) {
      state.ids.add(hit.rowid);
      if (hit.payload[0]?.value !== String(hit.rowid)) state.corrupt.push(hit.rowid);
    }
  }
  return state;
}

/**
 * The node answered StateDigest just before, but this run's channel to it may still be in
 * reconnect backoff from a restart during the faults, which fails a call at once with
 * UNAVAILABLE (ECONNREFUSED from the old attempt). A read of settled data is safe to repeat.
 */
async function retryUnavailable<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if ((error as ServiceError).code !== status.UNAVAILABLE || attempt === UNAVAILABLE_RETRIES) throw error;
      await sleep(UNAVAILABLE_PAUSE_MS);
    }
  }
}
