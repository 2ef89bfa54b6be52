/**
 * Partitions made with SIGSTOP/SIGCONT of real processes. A paused leader is a minority of
 * one: the majority elects a new leader and commits. Two paused followers leave the leader in
 * a minority: it cannot commit. After SIGCONT every replica converges (equal state digests).
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import { ClusterMethods, rpc, sleep, TestCluster, waitFor } from './helpers/cluster.js';

const vector = (i: number): number[] => [i % 7, 1, 2];

test('a paused leader is outvoted; a leader in a minority cannot commit; healing converges', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const first = await cluster.waitForLeader();
  await rpc(first.clusterAddr, ClusterMethods.createCollection, { collectionName: 'p', distance: 'l2', vectorDimension: 3, payloadTableSchema: '', indexFilePath: '' });
  await rpc(first.clusterAddr, ClusterMethods.insert, { collectionName: 'p', id: 1, vector: vector(1), payloadInsertQuery: '' });

  // The leader alone on its side: the majority proceeds without it.
  first.pause();
  const majority = cluster.nodes.filter((n) => n !== first);
  const second = await cluster.waitForLeader(majority);
  t.not(second.id, first.id);
  for (let i = 2; i <= 10; i++) await rpc(second.clusterAddr, ClusterMethods.insert, { collectionName: 'p', id: i, vector: vector(i), payloadInsertQuery: '' });
  first.resume();
  await waitFor('the old leader to follow the new one', async () => ((await first.info()).leaderId === second.id ? true : undefined));
  let digests = await cluster.settled();
  t.true(digests.every((d) => d.digest === digests[0].digest), 'converged after the leader came back');

  // Now the leader is the minority: both followers paused.
  const leader = second;
  const followers = cluster.nodes.filter((n) => n !== leader);
  const committedBefore = (await leader.digest()).commitIndex;
  for (const f of followers) f.pause();
  const refused = await t.throwsAsync<ServiceError>(
    rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'p', id: 11, vector: vector(11), payloadInsertQuery: '' }, { timeoutMs: 3_000 }),
  );
  t.true(refused !== undefined && [status.DEADLINE_EXCEEDED, status.UNAVAILABLE, status.FAILED_PRECONDITION].includes(refused.code), `no acknowledgement without a majority (got ${refused?.code})`);
  await sleep(1_000);
  t.is((await leader.digest()).commitIndex, committedBefore, 'nothing committed while the leader was in a minority');
  for (const f of followers) f.resume();

  const healed = await cluster.waitForLeader();
  await rpc(healed.clusterAddr, ClusterMethods.insert, { collectionName: 'p', id: 12, vector: vector(12), payloadInsertQuery: '' });
  digests = await cluster.settled();
  t.true(digests.every((d) => d.digest === digests[0].digest), 'converged after the followers came back');
});
