import type { ServiceError } from '@grpc/grpc-js';
import test from 'ava';
import { ClusterClient } from '../../cluster/index.js';
import { VectorXLiteError } from '../../src/errors.js';
import { ClusterMethods, FAST_RAFT, rpc, TestCluster, waitFor } from './helpers/cluster.js';

const DIM = 4;
const vectorOf = (id: number) => [id, 1, 0, 0];

test.serial('given only follower addresses under --no-forward, every operation reaches the leader by redirects', async (t) => {
  // Default Raft timings: the test names the leader, so spurious elections on a loaded machine must be rare.
  const cluster = await TestCluster.start(t, 3, ['--no-forward']);
  const leader = await cluster.waitForLeader();
  const followers = cluster.nodes.filter((n) => n !== leader);

  // The setup really redirects: a follower refuses a write and names the leader.
  const refused = await rpc(followers[0].clusterAddr, ClusterMethods.createCollection, {
    collectionName: 'probe', distance: '', vectorDimension: 2, payloadTableSchema: '', indexFilePath: '',
  }).then(() => undefined, (err: ServiceError) => err);
  t.is(refused?.metadata.get('x-redirect')[0], 'true');
  t.is(refused?.metadata.get('x-leader-addr')[0], leader.clusterAddr);

  const client = new ClusterClient(followers.map((f) => f.clusterAddr));
  t.teardown(() => client.close());

  await client.createCollection({ name: 'docs', dimension: DIM, distance: 'l2', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)' });
  t.is(client.leaderAddress, leader.clusterAddr);
  t.true(await client.collectionExists('docs'));
  await client.insert({ collection: 'docs', id: 1, vector: vectorOf(1), payloadInsertQuery: "INSERT INTO docs (title) VALUES ('one')" });
  for (const id of [2, 3, 4]) await client.insert({ collection: 'docs', id, vector: vectorOf(id) });
  await client.delete({ collection: 'docs', id: 4 });

  const hits = await client.search({ collection: 'docs', vector: vectorOf(0), topK: 10, consistency: 'linearizable', payloadSearchQuery: 'SELECT rowid, title FROM docs' });
  t.deepEqual(hits.map((h) => h.id), [1, 2, 3]);
  t.is(hits[0].payload.title, 'one');
  t.deepEqual((await client.search({ collection: 'docs', vector: vectorOf(0), consistency: 'weak' })).map((h) => h.id), [1, 2, 3]);

  const info = await client.clusterInfo();
  t.is(info.leaderId, leader.id);
  t.is(info.leaderClusterAddr, leader.clusterAddr);
  t.deepEqual(info.nodes.map((n) => n.id).sort(), ['n1', 'n2', 'n3']);
  t.true(info.nodes.every((n) => n.isVoter));

  await t.throwsAsync(client.createCollection({ name: 'docs', dimension: DIM }), { code: 'ALREADY_EXISTS' });
  await t.throwsAsync(client.insert({ collection: 'missing', id: 1, vector: vectorOf(1) }), { code: 'NOT_FOUND' });

  await client.deleteCollection('docs');
  t.false(await client.collectionExists('docs', { consistency: 'linearizable' }));
});

test.serial('consistency is passed through: cut off from the others, a follower still serves none but not linearizable', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  const [follower, other] = cluster.nodes.filter((n) => n !== leader);
  const writer = new ClusterClient([leader.clusterAddr]);
  t.teardown(() => writer.close());
  await writer.createCollection({ name: 'docs', dimension: DIM });
  for (const id of [1, 2]) await writer.insert({ collection: 'docs', id, vector: vectorOf(id) });
  await cluster.settled();

  leader.pause();
  other.pause();
  const client = new ClusterClient([follower.clusterAddr]);
  t.teardown(() => client.close());
  t.deepEqual((await client.search({ collection: 'docs', vector: vectorOf(1), consistency: 'none' })).map((h) => h.id).sort(), [1, 2]);
  t.true(await client.collectionExists('docs', { consistency: 'none' }));
  const refused = await t.throwsAsync(client.search({ collection: 'docs', vector: vectorOf(1), consistency: 'linearizable' }, { deadlineMs: 3_000 }), {
    instanceOf: VectorXLiteError,
  });
  t.true(['UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(refused!.code), refused!.message);
  leader.resume();
  other.resume();
});

test.serial('the leader killed with SIGKILL mid-workload: concurrent writers keep going after the election, each write applied once', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const first = await cluster.waitForLeader();
  // The killed leader is listed first, so the client must notice its death and find the new one.
  const client = new ClusterClient([first.clusterAddr, ...cluster.nodes.filter((n) => n !== first).map((n) => n.clusterAddr)]);
  t.teardown(() => client.close());
  await client.createCollection({ name: 'docs', dimension: DIM, distance: 'l2' });

  const WRITERS = 4;
  const PER_WRITER = 30;
  let acknowledged = 0;
  let killed: Promise<void> | undefined;
  const writer = async (w: number) => {
    for (let i = 0; i < PER_WRITER; i++) {
      const id = w * PER_WRITER + i + 1;
      if (i % 2 === 0) await client.insert({ collection: 'docs', id, vector: vectorOf(id) });
      else await client.insertBatch('docs', [{ id, vector: vectorOf(id) }]);
      // Kill once a quarter of the writes are in, while the other writers are mid-call.
      if (++acknowledged === (WRITERS * PER_WRITER) / 4) killed = first.kill();
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  await killed;

  const survivors = cluster.nodes.filter((n) => n !== first);
  const next = await cluster.waitForLeader(survivors);
  t.not(next, first);
  const hits = await client.search({ collection: 'docs', vector: vectorOf(0), topK: 1000, consistency: 'linearizable' });
  t.deepEqual(
    hits.map((h) => h.id).sort((a, b) => a - b),
    Array.from({ length: WRITERS * PER_WRITER }, (_, i) => i + 1),
  );
  const [a, b] = await cluster.settled(survivors);
  t.is(a.digest, b.digest);
});

test.serial('insertBatch is atomic across the cluster, redirected like the other writes', async (t) => {
  const cluster = await TestCluster.start(t, 3, ['--no-forward']);
  const leader = await cluster.waitForLeader();
  const client = new ClusterClient(cluster.nodes.filter((n) => n !== leader).map((n) => n.clusterAddr));
  t.teardown(() => client.close());
  await client.createCollection({ name: 'docs', dimension: DIM });
  await client.insertBatch('docs', [1, 2, 3].map((id) => ({ id, vector: vectorOf(id) })));
  await t.throwsAsync(client.insertBatch('docs', [4, 1].map((id) => ({ id, vector: vectorOf(id) }))), { instanceOf: VectorXLiteError, code: 'ALREADY_EXISTS' });
  const hits = await client.search({ collection: 'docs', vector: vectorOf(0), consistency: 'linearizable' });
  t.deepEqual(hits.map((h) => h.id).sort((a, b) => a - b), [1, 2, 3]);
});

test.serial('the token travels on every call; without it the node refuses at once with UNAUTHENTICATED', async (t) => {
  const cluster = await TestCluster.create(t);
  const node = (await cluster.addNode('n1')).start({ bootstrap: true, args: [...FAST_RAFT, '--auth-token', 's3cret'] });
  const client = new ClusterClient([node.clusterAddr], { token: 's3cret' });
  t.teardown(() => client.close());
  await waitFor('a leader', async () => ((await client.clusterInfo()).leaderId === 'n1' ? true : undefined));
  await client.createCollection({ name: 'docs', dimension: DIM });
  await client.insert({ collection: 'docs', id: 1, vector: vectorOf(1) });
  t.deepEqual((await client.search({ collection: 'docs', vector: vectorOf(1) })).map((h) => h.id), [1]);

  const anonymous = new ClusterClient([node.clusterAddr]);
  t.teardown(() => anonymous.close());
  await t.throwsAsync(anonymous.insert({ collection: 'docs', id: 2, vector: vectorOf(2) }), { code: 'UNAUTHENTICATED' });
  await t.throwsAsync(anonymous.clusterInfo(), { code: 'UNAUTHENTICATED' });
});

test('closed: every method rejects with CLOSED, close() is idempotent', async (t) => {
  const client = new ClusterClient(['127.0.0.1:1']);
  await client.close();
  await client.close();
  const calls: Array<() => Promise<unknown>> = [
    () => client.createCollection({ name: 'c', dimension: 2 }),
    () => client.collectionExists('c'),
    () => client.insert({ collection: 'c', id: 1, vector: [1, 2] }),
    () => client.insertBatch('c', [{ id: 1, vector: [1, 2] }]),
    () => client.search({ collection: 'c', vector: [1, 2] }),
    () => client.delete({ collection: 'c', id: 1 }),
    () => client.deleteCollection('c'),
    () => client.clusterInfo(),
    () => client.join({ nodeId: 'n', raftAddr: 'h:1', clusterAddr: 'h:2' }),
    () => client.leave('n'),
  ];
  for (const call of calls) await t.throwsAsync(call(), { instanceOf: VectorXLiteError, code: 'CLOSED' });
});

test('bad arguments are refused before any call, saying what to fix', async (t) => {
  t.throws(() => new ClusterClient([]), { code: 'INVALID_ARGUMENT', message: /non-empty array of host:port/ });
  t.throws(() => new ClusterClient(['nohost']), { code: 'INVALID_ARGUMENT' });
  t.throws(() => new ClusterClient(['h:1'], { deadlineMs: 0 }), { code: 'INVALID_ARGUMENT', message: /deadlineMs/ });
  const client = new ClusterClient(['127.0.0.1:1']);
  t.teardown(() => client.close());
  await t.throwsAsync(client.search({ collection: 'c', vector: [1], consistency: 'strong' as 'weak' }), { code: 'INVALID_ARGUMENT', message: /consistency must be/ });
  await t.throwsAsync(client.search({ collection: 'c', vector: [1], topK: 0 }), { code: 'INVALID_ARGUMENT', message: /topK/ });
  await t.throwsAsync(client.createCollection({ name: 'c', dimension: 2, hnsw: { m: 8 } }), { code: 'INVALID_ARGUMENT', message: /no maxElements or hnsw/ });
  await t.throwsAsync(client.insert({ collection: 'c', id: 1.5, vector: [1] }), { code: 'INVALID_ARGUMENT', message: /safe integer/ });
  await t.throwsAsync(client.join({ nodeId: '', raftAddr: 'h:1', clusterAddr: 'h:2' }), { code: 'INVALID_ARGUMENT', message: /nodeId/ });
});

test('no node reachable: reads and writes give up at the deadline with UNAVAILABLE', async (t) => {
  const client = new ClusterClient(['127.0.0.1:1', '127.0.0.1:2'], { deadlineMs: 800 });
  t.teardown(() => client.close());
  await t.throwsAsync(client.insert({ collection: 'c', id: 1, vector: [1] }), { code: 'UNAVAILABLE' });
  await t.throwsAsync(client.collectionExists('c', { consistency: 'none' }), { code: 'UNAVAILABLE' });
});
