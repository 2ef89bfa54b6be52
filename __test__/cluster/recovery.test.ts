/**
 * Recovery from a permanently lost majority with real processes: two of three nodes are
 * SIGKILLed for good, writes then fail with UNAVAILABLE, and the survivor restarted with
 * --force-new-cluster leads alone with every acknowledged write, stays a one-voter cluster when
 * restarted without the flag, takes two new empty nodes that receive everything (equal digests),
 * and stays a working three-node cluster when it is restarted again. On an empty data dir the
 * flag is refused and nothing is created.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { status, type ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import { ClusterMethods, FAST_RAFT, ReadConsistency, rpc, TestCluster, waitFor, type TestNode } from './helpers/cluster.js';

const vector = (i: number): number[] => [i, 1, i % 5];
const insert = (node: TestNode, id: number) => rpc(node.clusterAddr, ClusterMethods.insert, { collectionName: 'r', id, vector: vector(id), payloadInsertQuery: '' });

/** The ids `node` holds in its own data (consistency NONE unless given), sorted. */
async function idsOn(node: TestNode, consistency = ReadConsistency.READ_CONSISTENCY_NONE): Promise<number[]> {
  const r = await rpc(node.clusterAddr, ClusterMethods.search, { collectionName: 'r', vector: vector(0), topK: 1000, payloadSearchQuery: '', consistency });
  return r.results.map((p) => Number(p.rowid)).sort((a, b) => a - b);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a survivor forced into a new cluster keeps every acknowledged write, takes new members and survives restarts', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  await rpc(leader.clusterAddr, ClusterMethods.createCollection, { collectionName: 'r', distance: 'l2', vectorDimension: 3, payloadTableSchema: '', indexFilePath: '' });
  for (const id of range(1, 40)) await insert(leader, id);
  // All three replicate before the loss, so the survivor holds every acknowledged write.
  await cluster.settled();
  const survivor = cluster.nodes.find((n) => n !== leader)!;
  const lost = cluster.nodes.filter((n) => n !== survivor);
  await Promise.all(lost.map((n) => n.kill()));

  await waitFor('the survivor to know no leader', async () => ((await survivor.info()).leaderId === '' ? true : undefined));
  const refused = await t.throwsAsync<ServiceError>(insert(survivor, 1000));
  t.is(refused?.code, status.UNAVAILABLE, 'no quorum: the write is refused');

  await survivor.terminate();
  survivor.start({ args: [...FAST_RAFT, '--force-new-cluster'] });
  await cluster.waitForLeader([survivor]);
  const warning = survivor.logs().find((l) => l.level === 40 && String(l.msg).startsWith('--force-new-cluster: this node is now the only voter'));
  t.deepEqual((warning?.previousMembers as string[] | undefined)?.map((m) => m.split(' ')[0]).sort(), ['n1', 'n2', 'n3'], 'the old membership is logged at warn');
  // Linearizable: read once the new leader has applied everything it committed.
  t.deepEqual(await idsOn(survivor, ReadConsistency.READ_CONSISTENCY_LINEARIZABLE), range(1, 40), 'every acknowledged write is there, the refused one is not');
  await insert(survivor, 41);
  t.deepEqual((await survivor.info()).nodes.map((n) => n.nodeId), [survivor.id]);

  // The override is durable: without the flag the node resumes as the one-voter cluster.
  await survivor.terminate();
  survivor.start({ args: FAST_RAFT });
  await cluster.waitForLeader([survivor]);
  await insert(survivor, 42);

  // The lost nodes' disks are gone for good; two new empty nodes join and receive everything.
  await Promise.all(lost.map((n) => rm(n.dataDir, { recursive: true, force: true })));
  for (const id of ['n4', 'n5']) (await cluster.addNode(id)).start({ join: survivor.clusterAddr, args: FAST_RAFT });
  await cluster.waitForVoters(3);
  const digests = await cluster.settled();
  t.is(digests.length, 3);
  t.true(digests.every((d) => d.digest === digests[0].digest), 'the new members hold identical data');
  for (const node of cluster.live()) t.deepEqual(await idsOn(node), range(1, 42), `${node.id} holds every write`);

  // Restarted without the flag once more, the recovered node stays one of a working cluster.
  await survivor.terminate();
  survivor.start({ args: FAST_RAFT });
  const next = await cluster.waitForLeader();
  await insert(next, 43);
  const after = await cluster.settled();
  t.true(after.every((d) => d.digest === after[0].digest));
  t.deepEqual(await idsOn(survivor), range(1, 43));
});

test('--force-new-cluster on an empty data dir is refused and creates nothing', async (t) => {
  const cluster = await TestCluster.create(t);
  const node = await cluster.addNode('n1');
  await mkdir(node.dataDir);
  node.start({ args: ['--force-new-cluster'] });
  const exit = await node.child!.exited;
  t.is(exit.code, 1);
  const fatal = node.logs().find((l) => l.msg === 'cluster node failed to start');
  t.is(fatal?.code, 'FAILED_PRECONDITION');
  t.regex(String((fatal?.err as { message?: string } | undefined)?.message), /holds no Raft state; start a new cluster with --bootstrap instead/);
  t.deepEqual(await readdir(node.dataDir), []);
});
