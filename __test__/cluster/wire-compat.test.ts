/**
 * Wire compatibility: a client built at run time from proto/cluster/v1/cluster.proto with
 * @grpc/proto-loader (as existing clients are generated from it) creates, inserts, searches,
 * reads GetClusterInfo, and gets the redirect trailers from a follower under --no-forward.
 * Without a known leader, writes fail with UNAVAILABLE.
 */
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import test from 'ava';
import { repoRoot } from '../helpers/child-process.js';
import { FAST_RAFT, freePort, TestCluster } from './helpers/cluster.js';

type Callback = (error: ServiceError | null, response: Record<string, unknown>) => void;
type WireClient = Client & Record<string, (request: object, metadata: Metadata, callback: Callback) => void>;

function wireClient(address: string): WireClient {
  const definition = loadSync(join(repoRoot, 'proto/cluster/v1/cluster.proto'), { keepCase: true, longs: Number, enums: String, defaults: true });
  const pkg = loadPackageDefinition(definition) as unknown as { vectorxlite: { cluster: { ClusterService: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => WireClient } } };
  return new pkg.vectorxlite.cluster.ClusterService(address, credentials.createInsecure());
}

/** Resolves with the response, or with the error and its trailers. */
function call(client: WireClient, method: string, request: object): Promise<{ response?: Record<string, unknown>; error?: ServiceError }> {
  return new Promise((resolve) => {
    client[method](request, new Metadata(), (error, response) => resolve(error ? { error } : { response }));
  });
}

test('a proto-loader client creates, inserts, searches, reads cluster info and is redirected under --no-forward', async (t) => {
  const cluster = await TestCluster.start(t, 3, [...FAST_RAFT, '--no-forward']);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;
  const toLeader = wireClient(leader.clusterAddr);
  const toFollower = wireClient(follower.clusterAddr);
  t.teardown(() => {
    toLeader.close();
    toFollower.close();
  });

  const info = await call(toFollower, 'GetClusterInfo', {});
  t.is(info.response?.leader_id, leader.id);
  t.is(info.response?.leader_addr, leader.raftAddr);
  t.is(info.response?.leader_cluster_addr, leader.clusterAddr);
  t.is(info.response?.state, 'follower');
  t.is((info.response?.nodes as unknown[]).length, 3);

  const created = await call(toLeader, 'CreateCollection', { collection_name: 'wire', distance: 'Cosine', vector_dimension: 2, payload_table_schema: '', index_file_path: '' });
  t.deepEqual(created.response, { success: true, message: 'created collection wire' });
  for (let id = 1; id <= 3; id++) {
    const inserted = await call(toLeader, 'Insert', { collection_name: 'wire', id, vector: [id, 1], payload_insert_query: '' });
    t.is(inserted.response?.success, true);
  }
  const found = await call(toLeader, 'Search', { collection_name: 'wire', vector: [3, 1], top_k: 2, payload_search_query: '' });
  const results = found.response?.results as Array<{ rowid: number }>;
  t.is(results.length, 2);
  t.is(results[0].rowid, 3);
  const exists = await call(toLeader, 'CollectionExists', { collection_name: 'wire' });
  t.deepEqual(exists.response, { exists: true });

  // Under --no-forward a follower refuses writes and leader reads with the leader's cluster address.
  for (const [method, request] of [
    ['Insert', { collection_name: 'wire', id: 9, vector: [1, 1], payload_insert_query: '' }],
    ['DeleteCollection', { collection_name: 'wire' }],
    ['Search', { collection_name: 'wire', vector: [1, 1], top_k: 1, payload_search_query: '', consistency: 'READ_CONSISTENCY_WEAK' }],
  ] as const) {
    const refused = await call(toFollower, method, request);
    t.is(refused.error?.code, status.FAILED_PRECONDITION, method);
    t.deepEqual(refused.error?.metadata.get('x-leader-addr'), [leader.clusterAddr], method);
    t.deepEqual(refused.error?.metadata.get('x-redirect'), ['true'], method);
  }
  // Its own data it serves with consistency NONE.
  const local = await call(toFollower, 'Search', { collection_name: 'wire', vector: [1, 1], top_k: 5, payload_search_query: '', consistency: 'READ_CONSISTENCY_NONE' });
  t.true(Array.isArray(local.response?.results));
});

test('with no leader known, writes fail with UNAVAILABLE and no redirect', async (t) => {
  const cluster = await TestCluster.create(t);
  // Its seed never answers, so it never joins a cluster and never learns of a leader.
  const lonely = (await cluster.addNode('lonely')).start({ join: `127.0.0.1:${await freePort()}`, args: FAST_RAFT });
  const client = wireClient(lonely.clusterAddr);
  t.teardown(() => client.close());
  // Until the process listens, the client's own channel reports UNAVAILABLE; wait for the node's answer.
  const notListening = (o: { error?: ServiceError }): boolean => o.error?.details.startsWith('No connection established') === true;
  let outcome = await call(client, 'Insert', { collection_name: 'x', id: 1, vector: [1], payload_insert_query: '' });
  for (let i = 0; i < 600 && notListening(outcome); i++) {
    await new Promise((r) => setTimeout(r, 100));
    outcome = await call(client, 'Insert', { collection_name: 'x', id: 1, vector: [1], payload_insert_query: '' });
  }
  t.is(outcome.error?.code, status.UNAVAILABLE);
  t.regex(outcome.error?.details ?? '', /no leader is known/);
  t.deepEqual(outcome.error?.metadata.get('x-redirect'), []);
});
