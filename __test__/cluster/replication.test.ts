/**
 * Three real node processes: one leader, writes replicated to every node (read back locally
 * with consistency NONE), writes sent to a follower forwarded, reads at each consistency, and
 * invalid writes refused before they reach the log.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import { ClusterMethods, ReadConsistency, rpc, TestCluster, waitFor } from './helpers/cluster.js';

const vector = (i: number): number[] => [Math.cos(i), Math.sin(i), 1 + (i % 5)];

test('three nodes elect one leader and replicate writes to every node', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  const info = await leader.info();
  t.is(info.state, 'leader');
  t.is(info.leaderId, leader.id);
  t.is(info.leaderAddr, leader.raftAddr);
  t.is(info.leaderClusterAddr, leader.clusterAddr);
  t.deepEqual(
    info.nodes.map((n) => [n.nodeId, n.addr, n.clusterAddr, n.isVoter]).sort(),
    cluster.nodes.map((n) => [n.id, n.raftAddr, n.clusterAddr, true]).sort(),
  );
  const followers = cluster.nodes.filter((n) => n !== leader);
  for (const f of followers) t.is((await f.info()).state, 'follower');

  // Created on the leader; inserted through a follower (forwarded).
  const created = await rpc(leader.clusterAddr, ClusterMethods.createCollection, {
    collectionName: 'docs',
    distance: 'L2',
    vectorDimension: 3,
    payloadTableSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)',
    indexFilePath: '',
  });
  t.true(created.success);
  for (let i = 1; i <= 20; i++) {
    const via = cluster.nodes[i % 3];
    const inserted = await rpc(via.clusterAddr, ClusterMethods.insert, {
      collectionName: 'docs',
      id: i,
      vector: vector(i),
      payloadInsertQuery: `INSERT INTO docs (rowid, title) VALUES (${i}, 'doc ${i}')`,
    });
    t.true(inserted.success);
  }

  for (const node of cluster.nodes) {
    const results = await waitFor(`all points on ${node.id}`, async () => {
      const r = await rpc(node.clusterAddr, ClusterMethods.search, {
        collectionName: 'docs',
        vector: vector(7),
        topK: 20,
        payloadSearchQuery: 'SELECT title FROM docs',
        consistency: ReadConsistency.READ_CONSISTENCY_NONE,
      });
      return r.results.length === 20 ? r.results : undefined;
    });
    t.is(results[0].rowid, 7, `nearest on ${node.id}`);
    t.deepEqual(results[0].payload, [{ key: 'title', value: 'doc 7' }]);
  }

  // Weak and linearizable reads from a follower are served by the leader and see every acknowledged write.
  for (const consistency of [ReadConsistency.READ_CONSISTENCY_UNSPECIFIED, ReadConsistency.READ_CONSISTENCY_WEAK, ReadConsistency.READ_CONSISTENCY_LINEARIZABLE]) {
    await rpc(followers[0].clusterAddr, ClusterMethods.insert, { collectionName: 'docs', id: 100 + consistency, vector: vector(1), payloadInsertQuery: '' });
    const exists = await rpc(followers[1].clusterAddr, ClusterMethods.collectionExists, { collectionName: 'docs', consistency });
    t.true(exists.exists);
    const r = await rpc(followers[1].clusterAddr, ClusterMethods.search, {
      collectionName: 'docs',
      vector: vector(1),
      topK: 100,
      payloadSearchQuery: '',
      consistency,
    });
    t.true(r.results.some((hit) => hit.rowid === 100 + consistency), `consistency ${consistency} sees the write acknowledged before it`);
  }

  const deleted = await rpc(followers[0].clusterAddr, ClusterMethods.delete, { collectionName: 'docs', id: 3 });
  t.true(deleted.success);

  // Refused by the leader's validation: nothing enters the log.
  const before = (await cluster.settled())[0].appliedIndex;
  const wrongDimension = await t.throwsAsync<ServiceError>(
    rpc(followers[0].clusterAddr, ClusterMethods.insert, { collectionName: 'docs', id: 500, vector: [1, 2], payloadInsertQuery: '' }),
  );
  t.is(wrongDimension?.code, status.INVALID_ARGUMENT);
  const nonDeterministic = await t.throwsAsync<ServiceError>(
    rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'docs', id: 501, vector: vector(2), payloadInsertQuery: "INSERT INTO docs (rowid, title) VALUES (501, random())" }),
  );
  t.is(nonDeterministic?.code, status.INVALID_ARGUMENT);
  const missing = await t.throwsAsync<ServiceError>(rpc(leader.clusterAddr, ClusterMethods.deleteCollection, { collectionName: 'nope' }));
  t.is(missing?.code, status.NOT_FOUND);
  const digests = await cluster.settled();
  t.is(digests[0].appliedIndex, before, 'no refused write took a log slot');
  t.true(digests.every((d) => d.digest === digests[0].digest), 'every replica holds identical data');
});
