/**
 * Adding a node from outside: a node started on an empty data dir with neither --bootstrap nor
 * --join waits (live, not ready, no leader, no members) until `vxctl join` run against a member
 * adds it; it then hears from the leader first, answers it, and receives every write through
 * InstallSnapshot (the leader's log is compacted) plus the entries after it.
 */
import test from 'ava';
import { ClusterMethods, FAST_RAFT, freePort, ReadConsistency, rpc, TestCluster, waitFor } from './helpers/cluster.js';
import { vxctl } from './helpers/vxctl.js';

const SNAPSHOTS = ['--snapshot-threshold', '20', '--snapshot-trailing', '5'];
const vector = (i: number): number[] => [1, i, i % 7];

async function health(port: number, path: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
}

test('a node started without --bootstrap or --join waits, is added with vxctl join and receives all data', async (t) => {
  const cluster = await TestCluster.start(t, 3, [...FAST_RAFT, ...SNAPSHOTS]);
  const leader = await cluster.waitForLeader();
  await rpc(leader.clusterAddr, ClusterMethods.createCollection, { collectionName: 'a', distance: 'l2', vectorDimension: 3, payloadTableSchema: '', indexFilePath: '' });
  for (let i = 1; i <= 50; i++) await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'a', id: i, vector: vector(i), payloadInsertQuery: '' });
  t.true(leader.logs().some((l) => l.msg === 'snapshot taken; log compacted'), 'the leader compacted its log, so the new node needs a snapshot');

  const metricsPort = await freePort();
  const added = (await cluster.addNode('n4')).start({ args: [...FAST_RAFT, ...SNAPSHOTS, '--metrics-port', String(metricsPort)] });
  await added.child!.waitForLine((line) => line.includes('waiting until a member adds this node'));
  // Waiting: alive, not ready, no leader and no configuration of its own.
  await waitFor('the waiting node to answer', async () => ((await health(metricsPort, '/health/live')) === 200 ? true : undefined));
  t.is(await health(metricsPort, '/health/ready'), 503);
  t.like(await added.info(), { leaderId: '', leaderAddr: '', state: 'follower', nodes: [] });

  const follower = cluster.nodes.find((n) => n !== leader && n !== added)!;
  const joined = await vxctl(['--addr', follower.clusterAddr, 'join', '--node-id', 'n4', '--raft-addr', added.raftAddr, '--cluster-addr', added.clusterAddr]);
  t.is(joined.code, 0, joined.stderr);
  t.regex(joined.stdout, /n4 is a member/);

  const info = await cluster.waitForVoters(4);
  t.deepEqual(info.nodes.find((n) => n.nodeId === 'n4'), { nodeId: 'n4', addr: added.raftAddr, clusterAddr: added.clusterAddr, state: 'follower', isVoter: true });
  t.true(added.logs().some((l) => l.msg === 'this node was added to the cluster; catching up from the leader'));
  await waitFor('the added node to be ready', async () => ((await health(metricsPort, '/health/ready')) === 200 ? true : undefined));
  t.true(added.logs().some((l) => l.msg === 'snapshot installed from the leader'), 'the added node was sent a snapshot');
  const found = await rpc(added.clusterAddr, ClusterMethods.search, { collectionName: 'a', vector: vector(1), topK: 100, payloadSearchQuery: '', consistency: ReadConsistency.READ_CONSISTENCY_NONE });
  t.is(found.results.length, 50);

  // It keeps replicating, and ends with the same data as every other replica.
  await rpc(added.clusterAddr, ClusterMethods.insert, { collectionName: 'a', id: 51, vector: vector(51), payloadInsertQuery: '' });
  const digests = await cluster.settled();
  t.is(digests.length, 4);
  t.true(digests.every((d) => d.digest === digests[0].digest), 'every replica holds identical data');
});
