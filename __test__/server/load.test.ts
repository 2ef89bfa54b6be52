import test from 'ava';
import { randomBytes } from 'node:crypto';
import { ChannelCredentials, Client, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { join } from 'node:path';
import { VectorXLiteError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { seededRandom, randomVectors } from '../helpers/random.js';
import { connect } from './helpers/client.js';
import { ServerProcess } from './helpers/server-process.js';

test('200 concurrent clients mixing inserts and searches all succeed; every acknowledged insert is found', async (t) => {
  const server = await ServerProcess.start(t);
  const admin = connect(t, server.address);
  await admin.createCollection({ name: 'load', dimension: 16, payloadSchema: 'CREATE TABLE load (rowid INTEGER PRIMARY KEY, client INTEGER)' });
  const vectors = randomVectors(200 * 5, 16, 1234);
  const clients = Array.from({ length: 200 }, () => connect(t, server.address));
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = 0; i < 5; i++) {
        const id = c * 5 + i;
        await client.insert({ collection: 'load', id, vector: vectors[id], payloadInsertQuery: `INSERT INTO load (client) VALUES (${c})` });
        const hits = await client.search({ collection: 'load', vector: vectors[id], topK: 3 });
        t.true(hits.length >= 1);
      }
    }),
  );
  t.is((await admin.collectionInfo('load')).count, 1000);
  const found = await Promise.all(vectors.map((_, id) => admin.get('load', id)));
  t.true(found.every((p, id) => p !== null && p.id === id && p.payload.client === Math.floor(id / 5)));
  const selfHits = await Promise.all(vectors.slice(0, 100).map((vector) => admin.search({ collection: 'load', vector, topK: 1 })));
  t.deepEqual(selfHits.map((h) => h[0]?.id), vectors.slice(0, 100).map((_, id) => id));
});

test('limits: oversized message, top_k over the maximum, a 100,000-component vector', async (t) => {
  const server = await ServerProcess.start(t, { args: ['--max-message-bytes', '262144', '--max-top-k', '100'] });
  const client = connect(t, server.address, { maxMessageBytes: 8 * 1024 * 1024 });
  await client.createCollection({ name: 'lim', dimension: 4 });
  await client.insert({ collection: 'lim', id: 1, vector: [1, 2, 3, 4] });
  const huge = await t.throwsAsync(client.insertBatch('lim', randomVectors(20_000, 4, 1).map((vector, i) => ({ id: i + 10, vector }))), { instanceOf: VectorXLiteError });
  t.is(huge?.code, 'RESOURCE_EXHAUSTED', huge?.message);
  const topK = await t.throwsAsync(client.search({ collection: 'lim', vector: [1, 2, 3, 4], topK: 101 }), { instanceOf: VectorXLiteError });
  t.is(topK?.code, 'RESOURCE_EXHAUSTED');
  t.regex(topK?.message ?? '', /top_k/);
  const wide = new Float32Array(100_000).fill(0.5);
  const vector = await t.throwsAsync(client.search({ collection: 'lim', vector: wide }), { instanceOf: VectorXLiteError });
  t.is(vector?.code, 'RESOURCE_EXHAUSTED', vector?.message);
  const wideInsert = await t.throwsAsync(client.insert({ collection: 'lim', id: 2, vector: new Float32Array(20_000).fill(1) }), { instanceOf: VectorXLiteError });
  t.is(wideInsert?.code, 'RESOURCE_EXHAUSTED', 'over the max dimension (default 16384)');
  const wideCollection = await t.throwsAsync(client.createCollection({ name: 'wide', dimension: 100_000 }), { instanceOf: VectorXLiteError });
  t.is(wideCollection?.code, 'RESOURCE_EXHAUSTED');
  const dir = await tempDir(t);
  const bigChunks = await t.throwsAsync(client.exportSnapshotToFile(join(dir, 's'), { chunkSize: 300_000 }), { instanceOf: VectorXLiteError });
  t.is(bigChunks?.code, 'RESOURCE_EXHAUSTED', 'chunks must fit the message limit');
  t.deepEqual((await client.search({ collection: 'lim', vector: [1, 2, 3, 4], topK: 100 })).map((r) => r.id), [1]);
});

test('a burst of malformed and random-bytes messages gets errors, then the server answers correctly', async (t) => {
  const server = await ServerProcess.start(t);
  const client = connect(t, server.address);
  await client.createCollection({ name: 'fuzz', dimension: 3 });
  await client.insert({ collection: 'fuzz', id: 7, vector: [1, 2, 3] });
  const raw = new Client(server.address, ChannelCredentials.createInsecure());
  t.teardown(() => raw.close());
  const identity = (b: Buffer): Buffer => b;
  const send = (method: string, bytes: Buffer): Promise<ServiceError | null> =>
    new Promise((resolve) => {
      raw.makeUnaryRequest(`/vectorxlite_pb.VectorXLitePB/${method}`, identity, identity, bytes, new Metadata(), {}, (err) => resolve(err));
    });
  const random = seededRandom(42);
  const methods = ['Search', 'Insert', 'CreateCollection', 'InsertBatch', 'Get', 'Delete', 'DeleteCollection', 'CollectionExists'];
  const malformed = [
    Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
    Buffer.from([0x12, 0x05, 0x00]),
    Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    Buffer.from([0xff]),
  ];
  const sends: Array<Promise<ServiceError | null>> = [];
  for (let i = 0; i < 300; i++) {
    const method = methods[i % methods.length];
    const bytes = i < malformed.length * methods.length ? malformed[i % malformed.length] : randomBytes(Math.floor(random() * 200));
    sends.push(send(method, bytes));
  }
  const results = await Promise.all(sends);
  const codes = new Set(results.map((r) => (r ? r.code : status.OK)));
  t.false(codes.has(status.INTERNAL), 'undecodable bytes are INVALID_ARGUMENT, never INTERNAL');
  t.false(codes.has(status.UNAVAILABLE));
  t.true(results.some((r) => r?.code === status.INVALID_ARGUMENT && r.metadata.get('x-vxl-code')[0] === 'INVALID_ARGUMENT'));
  const unknownMethod = await send('NoSuchMethod', Buffer.alloc(0));
  t.is(unknownMethod?.code, status.UNIMPLEMENTED);

  t.deepEqual((await client.search({ collection: 'fuzz', vector: [1, 2, 3] })).map((r) => r.id), [7]);
  t.true(await client.collectionExists('fuzz'));
});
