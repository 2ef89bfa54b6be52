/**
 * Membership changes between real processes: a 4th node joins (as a non-voter, promoted once
 * caught up) and receives all data; a follower and then the leader leave (the leader hands
 * over first); a leader given SIGTERM hands leadership over before it exits 0.
 */
import { Metadata } from '@grpc/grpc-js';
import test from 'ava';
import type { InsertBatchResponse } from '../../cluster/server/admin-proto.js';
import { InsertBatchMethod } from '../../cluster/server/admin-service.js';
import { ClusterMethods, ReadConsistency, rpc, TestCluster, waitFor, type TestNode } from './helpers/cluster.js';

const vector = (i: number): number[] => [i, i + 1, i + 2, 1];

async function countOn(node: TestNode): Promise<number> {
  const r = await rpc(node.clusterAddr, ClusterMethods.search, {
    collectionName: 'm',
    vector: vector(0),
    topK: 1000,
    payloadSearchQuery: '',
    consistency: ReadConsistency.READ_CONSISTENCY_NONE,
  });
  return r.results.length;
}

test('a 4th node joins and receives all data; a follower and the leader leave', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;
  await rpc(leader.clusterAddr, ClusterMethods.createCollection, { collectionName: 'm', distance: 'ip', vectorDimension: 4, payloadTableSchema: '', indexFilePath: '' });
  // InsertBatch (ClusterAdmin) through a follower: forwarded, one log entry for all points.
  const points = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, vector: vector(i + 1), payloadInsertQuery: '' }));
  const batch: InsertBatchResponse = await rpc(follower.clusterAddr, InsertBatchMethod, { collectionName: 'm', points });
  t.deepEqual(batch, { success: true, message: 'inserted 50 points', inserted: 50 });

  const fourth = (await cluster.addNode('n4')).start({ join: follower.clusterAddr, args: ['--tick-ms', '50', '--election-ticks', '10'] });
  await cluster.waitForVoters(4);
  await waitFor('the new node to hold all data', async () => ((await countOn(fourth)) === 50 ? true : undefined));
  const info = await fourth.info();
  t.deepEqual(info.nodes.find((n) => n.nodeId === 'n4'), { nodeId: 'n4', addr: fourth.raftAddr, clusterAddr: fourth.clusterAddr, state: 'follower', isVoter: true });

  // A follower leaves (the request goes to the new node and is forwarded to the leader).
  const leaver = cluster.nodes.find((n) => n !== leader && n !== fourth)!;
  const left = await rpc(fourth.clusterAddr, ClusterMethods.leaveCluster, { nodeId: leaver.id });
  t.true(left.success);
  await waitFor('3 members', async () => ((await leader.info()).nodes.length === 3 ? true : undefined));
  await leaver.terminate();

  // The leader leaves: it hands over first, then the successor removes it.
  const leaderLeft = await rpc(leader.clusterAddr, ClusterMethods.leaveCluster, { nodeId: leader.id }, { timeoutMs: 30_000 });
  t.true(leaderLeft.success);
  const remaining = cluster.nodes.filter((n) => n !== leader && n !== leaver);
  const successor = await cluster.waitForLeader(remaining);
  t.not(successor.id, leader.id);
  const after = await waitFor('2 members', async () => {
    const i = await successor.info();
    return i.nodes.length === 2 ? i : undefined;
  });
  t.deepEqual(after.nodes.map((n) => n.nodeId).sort(), remaining.map((n) => n.id).sort());
  await rpc(successor.clusterAddr, ClusterMethods.insert, { collectionName: 'm', id: 99, vector: vector(99), payloadInsertQuery: '' });
  const digests = await cluster.settled(remaining);
  t.true(digests.every((d) => d.digest === digests[0].digest));
});

test('a leader given SIGTERM hands leadership over and exits 0', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  await rpc(leader.clusterAddr, ClusterMethods.createCollection, { collectionName: 'm', distance: 'l2', vectorDimension: 4, payloadTableSchema: '', indexFilePath: '' });
  t.is(await leader.terminate(), 0);
  t.true(leader.logs().some((l) => l.msg === 'leadership handed over before shutdown'), 'the leader reported a completed handover');
  const survivors = cluster.nodes.filter((n) => n !== leader);
  const successor = await cluster.waitForLeader(survivors);
  t.not(successor.id, leader.id);
  // Writes with a client-chosen writer identity: a retry of the same sequence is applied once.
  const metadata = new Metadata();
  metadata.set('x-client-id', 'test-writer');
  metadata.set('x-client-seq', '1');
  await rpc(survivors[0].clusterAddr, ClusterMethods.insert, { collectionName: 'm', id: 1, vector: vector(1), payloadInsertQuery: '' }, { metadata });
  await rpc(survivors[1].clusterAddr, ClusterMethods.insert, { collectionName: 'm', id: 1, vector: vector(1), payloadInsertQuery: '' }, { metadata });
  t.is(await countOn(successor), 1);
});
