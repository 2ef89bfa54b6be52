/**
 * Crashes of real node processes (kill -9): a new leader serves writes within 5 seconds at
 * the default timing settings, and a killed follower restarted with the same command line
 * resumes as the member it was and catches up.
 */
import test from 'ava';
import { ClusterMethods, ReadConsistency, rpc, TestCluster, waitFor, type TestNode } from './helpers/cluster.js';

const vector = (i: number): number[] => [i, 1, -i];

async function countOn(node: TestNode, collection: string): Promise<number> {
  const r = await rpc(node.clusterAddr, ClusterMethods.search, {
    collectionName: collection,
    vector: [0, 1, 0],
    topK: 1000,
    payloadSearchQuery: '',
    consistency: ReadConsistency.READ_CONSISTENCY_NONE,
  });
  return r.results.length;
}

test.serial('kill -9 of the leader: a new leader serves writes within 5 s (default settings)', async (t) => {
  const cluster = await TestCluster.start(t, 3, []);
  const leader = await cluster.waitForLeader();
  await rpc(leader.clusterAddr, ClusterMethods.createCollection, { collectionName: 'c', distance: 'l2', vectorDimension: 3, payloadTableSchema: '', indexFilePath: '' });
  await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'c', id: 1, vector: vector(1), payloadInsertQuery: '' });

  const survivors = cluster.nodes.filter((n) => n !== leader);
  await leader.kill();
  const killedAt = Date.now();
  // Writes are retried on any survivor until one is acknowledged; the first acknowledgement ends the clock.
  let id = 2;
  await waitFor('a write acknowledged after the leader died', async () => {
    const via = survivors[id % 2];
    await rpc(via.clusterAddr, ClusterMethods.insert, { collectionName: 'c', id, vector: vector(id), payloadInsertQuery: '' }, { timeoutMs: 1_000 }).catch((error: unknown) => {
      id++;
      throw error;
    });
    return true;
  }, 30_000);
  const elapsed = Date.now() - killedAt;
  t.log(`first write acknowledged ${elapsed} ms after kill -9`);
  t.true(elapsed < 5_000, `the first write after the crash was acknowledged ${elapsed} ms after kill -9`);
  const newLeader = await cluster.waitForLeader(survivors);
  t.not(newLeader.id, leader.id);
  t.true((await newLeader.info()).nodes.some((n) => n.nodeId === leader.id), 'the dead leader stays a member');
});

test.serial('a killed follower restarts with the same command line and catches up', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;
  await rpc(leader.clusterAddr, ClusterMethods.createCollection, { collectionName: 'c', distance: 'l2', vectorDimension: 3, payloadTableSchema: '', indexFilePath: '' });
  for (let i = 1; i <= 10; i++) await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'c', id: i, vector: vector(i), payloadInsertQuery: '' });
  await waitFor('the follower to hold the first writes', async () => ((await countOn(follower, 'c')) === 10 ? true : undefined));

  await follower.kill();
  for (let i = 11; i <= 40; i++) await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'c', id: i, vector: vector(i), payloadInsertQuery: '' });
  // The same command line (it includes --join): the data dir holds Raft state, so it resumes instead of joining.
  follower.start();
  await waitFor('the restarted follower to catch up', async () => ((await countOn(follower, 'c')) === 40 ? true : undefined));
  t.true(follower.logs().some((l) => typeof l.msg === 'string' && l.msg.startsWith('the data directory holds Raft state')));
  const info = await follower.info();
  t.is(info.state, 'follower');
  t.is(info.nodes.length, 3);
  const digests = await cluster.settled();
  t.true(digests.every((d) => d.digest === digests[0].digest), 'every replica holds identical data');
});
