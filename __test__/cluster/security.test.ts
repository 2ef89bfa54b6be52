/**
 * --auth-token and TLS protect both ports: clients need the token over TLS, a node forwards
 * and replicates over TLS with the same token, and a node with another token cannot join.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import { tempDir } from '../helpers/temp-dir.js';
import { selfSignedTls } from '../transport/tls.js';
import { ClusterMethods, FAST_RAFT, ReadConsistency, rpc, TestCluster, waitFor } from './helpers/cluster.js';

test('token and TLS on the API and Raft ports; a node with the wrong token cannot join', async (t) => {
  const tls = await selfSignedTls(t, 'vxl-cluster');
  const dir = await tempDir(t);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await writeFile(cert, tls.cert);
  await writeFile(key, tls.key);
  const token = 'cluster-secret';
  const secure = [...FAST_RAFT, '--auth-token', token, '--tls-cert', cert, '--tls-key', key];
  const cluster = await TestCluster.start(t, 2, secure, { token, ca: tls.ca });
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;

  const noToken = await t.throwsAsync<ServiceError>(rpc(leader.clusterAddr, ClusterMethods.getClusterInfo, {}, { ca: tls.ca }));
  t.is(noToken?.code, status.UNAUTHENTICATED);
  const wrongToken = await t.throwsAsync<ServiceError>(rpc(leader.clusterAddr, ClusterMethods.getClusterInfo, {}, { ca: tls.ca, token: 'guess' }));
  t.is(wrongToken?.code, status.UNAUTHENTICATED);
  const plaintext = await t.throwsAsync<ServiceError>(rpc(leader.clusterAddr, ClusterMethods.getClusterInfo, {}, { token, timeoutMs: 2_000 }));
  t.not(plaintext?.code, status.OK);

  // Through the follower: forwarded to the leader over TLS with the token, then replicated back.
  const auth = { token, ca: tls.ca };
  await rpc(follower.clusterAddr, ClusterMethods.createCollection, { collectionName: 's', distance: 'l2', vectorDimension: 2, payloadTableSchema: '', indexFilePath: '' }, auth);
  await rpc(follower.clusterAddr, ClusterMethods.insert, { collectionName: 's', id: 1, vector: [1, 2], payloadInsertQuery: '' }, auth);
  await waitFor('the follower to apply the insert', async () => {
    const r = await rpc(follower.clusterAddr, ClusterMethods.search, { collectionName: 's', vector: [1, 2], topK: 1, payloadSearchQuery: '', consistency: ReadConsistency.READ_CONSISTENCY_NONE }, auth);
    return r.results.length === 1 ? true : undefined;
  });

  const intruder = (await cluster.addNode('intruder')).start({
    join: leader.clusterAddr,
    args: [...FAST_RAFT, '--auth-token', 'another-token', '--tls-cert', cert, '--tls-key', key],
  });
  const exit = await intruder.child!.exited;
  t.is(exit.code, 1, 'the node with the wrong token gave up joining');
  t.is((await leader.info()).nodes.length, 2);
});
