/**
 * What each replica holds after the run: every id any client tried to write, looked up on
 * that node alone (consistency NONE) in exact `rowid IN (...)` chunks, with its payload.
 */
import { ClusterMethods, ReadConsistency, type TestNode } from '../helpers/cluster.js';
import type { ReplicaState } from './checker.js';
import { COLLECTION, vectorOf, type Channels } from './workload.js';

const CHUNK = 500;
const READ_TIMEOUT_MS = 20_000;

/** `digest` must come from the same settled moment for every node (see TestCluster.settled). */
export async function readReplica(node: TestNode, ids: readonly number[], channels: Channels, digest: { digest: string; appliedIndex: number }): Promise<ReplicaState> {
  const state: ReplicaState = { node: node.id, ids: new Set(), corrupt: [], digest: digest.digest, appliedIndex: digest.appliedIndex };
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    const response = await channels.call(
      node.clusterAddr,
      ClusterMethods.search,
      {
        collectionName: COLLECTION,
        vector: vectorOf(chunk[0]),
        topK: chunk.length,
        payloadSearchQuery: `SELECT n FROM ${COLLECTION} WHERE rowid IN (${chunk.join(', ')})`,
        consistency: ReadConsistency.READ_CONSISTENCY_NONE,
      },
      READ_TIMEOUT_MS,
    );
    for (const hit of response.results) {
      state.ids.add(hit.rowid);
      if (hit.payload[0]?.value !== String(hit.rowid)) state.corrupt.push(hit.rowid);
    }
  }
  return state;
}
