/**
 * Log compaction and InstallSnapshot between real processes: with a small snapshot threshold
 * the leader compacts its log, so a node whose data dir is wiped can only catch up from a
 * snapshot; it rejoins with the same command line and ends with identical data.
 */
import { rm } from 'node:fs/promises';
import test from 'ava';
import { ClusterMethods, FAST_RAFT, ReadConsistency, rpc, TestCluster, waitFor } from './helpers/cluster.js';

const SNAPSHOTS = ['--snapshot-threshold', '20', '--snapshot-trailing', '5'];
const vector = (i: number): number[] => [1, i, i * i];

test('a node restarted with an empty data dir catches up through InstallSnapshot', async (t) => {
  const cluster = await TestCluster.start(t, 3, [...FAST_RAFT, ...SNAPSHOTS]);
  const leader = await cluster.waitForLeader();
  const victim = cluster.nodes.find((n) => n !== leader && n.id !== 'n1')!;
  await rpc(leader.clusterAddr, ClusterMethods.createCollection, {
    collectionName: 'notes',
    distance: 'cosine',
    vectorDimension: 3,
    payloadTableSchema: 'CREATE TABLE notes (rowid INTEGER PRIMARY KEY, body TEXT)',
    indexFilePath: '',
  });
  await victim.kill();
  await rm(victim.dataDir, { recursive: true, force: true });
  for (let i = 1; i <= 60; i++) {
    await rpc(leader.clusterAddr, ClusterMethods.insert, { collectionName: 'notes', id: i, vector: vector(i), payloadInsertQuery: `INSERT INTO notes (rowid, body) VALUES (${i}, 'note ${i}')` });
  }
  t.true(leader.logs().some((l) => l.msg === 'snapshot taken; log compacted'), 'the leader compacted its log');

  victim.start();
  await waitFor('the wiped node to hold every point', async () => {
    const r = await rpc(victim.clusterAddr, ClusterMethods.search, {
      collectionName: 'notes',
      vector: vector(1),
      topK: 100,
      payloadSearchQuery: 'SELECT body FROM notes',
      consistency: ReadConsistency.READ_CONSISTENCY_NONE,
    });
    return r.results.length === 60 ? r : undefined;
  });
  t.true(victim.logs().some((l) => l.msg === 'snapshot installed from the leader'), 'the wiped node was sent a snapshot');
  // It keeps replicating after the snapshot.
  await rpc(victim.clusterAddr, ClusterMethods.insert, { collectionName: 'notes', id: 61, vector: vector(61), payloadInsertQuery: '' });
  const digests = await cluster.settled();
  t.true(digests.every((d) => d.digest === digests[0].digest), 'every replica holds identical data');
});
