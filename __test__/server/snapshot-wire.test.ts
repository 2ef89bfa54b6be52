import test, { type ExecutionContext } from 'ava';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChannelCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { VectorXLitePBClient, type SnapshotChunkPB } from '../../src/gen/vectorxlite/v1/vectorxlite.js';
import type { VectorXLiteClient } from '../../src/client/index.js';
import { VectorXLiteError } from '../../src/errors.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';
import { connect } from './helpers/client.js';
import { ServerProcess } from './helpers/server-process.js';

async function seed(client: VectorXLiteClient): Promise<Float32Array[]> {
  await client.createCollection({ name: 'docs', dimension: 16, distance: 'cosine', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)' });
  const vectors = randomVectors(300, 16, 11);
  await client.insertBatch('docs', vectors.map((vector, id) => ({ id, vector, payloadInsertQuery: `INSERT INTO docs (title) VALUES ('doc ${id}')` })));
  return vectors;
}

async function searchAll(client: VectorXLiteClient, queries: Float32Array[]): Promise<unknown[]> {
  return Promise.all(queries.map((vector) => client.search({ collection: 'docs', vector, topK: 10, payloadSearchQuery: 'SELECT title FROM docs' })));
}

function rawClient(t: ExecutionContext, address: string): VectorXLitePBClient {
  const client = new VectorXLitePBClient(address, ChannelCredentials.createInsecure());
  t.teardown(() => client.close());
  return client;
}

function exportChunks(client: VectorXLitePBClient, chunkSize: number): Promise<SnapshotChunkPB[]> {
  return new Promise((resolve, reject) => {
    const chunks: SnapshotChunkPB[] = [];
    client
      .exportSnapshot({ chunkSize, includeIndexFiles: true })
      .on('data', (c: SnapshotChunkPB) => chunks.push(c))
      .on('error', reject)
      .on('end', () => resolve(chunks));
  });
}

/** Sends the chunks as one ImportSnapshot stream; resolves the response or rejects with the status. */
function importChunks(client: VectorXLitePBClient, chunks: SnapshotChunkPB[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const call = client.importSnapshot((err, res) => (err ? reject(err) : resolve(res)));
    for (const c of chunks) call.write(c);
    call.end();
  });
}

test('snapshot export from one server and import into another gives identical search results', async (t) => {
  const dir = await tempDir(t);
  const source = await ServerProcess.start(t, { data: join(dir, 'a', 'db.sqlite') });
  const target = await ServerProcess.start(t, { data: join(dir, 'b', 'db.sqlite') });
  const a = connect(t, source.address);
  const b = connect(t, target.address);
  const vectors = await seed(a);
  await b.createCollection({ name: 'stale', dimension: 2 });

  const file = join(dir, 'export.vxlsnap');
  const metadata = await a.exportSnapshotToFile(file, { chunkSize: 8192 });
  t.is(metadata.version, 1);
  t.true(metadata.files.some((f) => f.fileType === 'sqlite_db'));
  t.is((await readFile(file)).subarray(0, 8).toString(), 'VXLSNAP1');

  const result = await b.importSnapshotFromFile(file);
  t.is(result.snapshotId, metadata.snapshotId);
  t.is(result.bytesRestored, metadata.totalSize);
  t.false(await b.collectionExists('stale'));
  const queries = vectors.slice(0, 20);
  t.deepEqual(await searchAll(b, queries), await searchAll(a, queries));
  t.deepEqual(await b.listCollections(), await a.listCollections());
});

test('a snapshot without index files restores the same results (index rebuilt)', async (t) => {
  const source = await ServerProcess.start(t);
  const target = await ServerProcess.start(t);
  const a = connect(t, source.address);
  const b = connect(t, target.address);
  const vectors = await seed(a);
  const dir = await tempDir(t);
  const file = join(dir, 'noindex.vxlsnap');
  const metadata = await a.exportSnapshotToFile(file, { includeIndexFiles: false });
  t.false(metadata.files.some((f) => f.fileType === 'hnsw_index'));
  await b.importSnapshotFromFile(file);
  const queries = vectors.slice(0, 10);
  t.deepEqual(await searchAll(b, queries), await searchAll(a, queries));
});

test('bad import streams are rejected and leave the served data as it was', async (t) => {
  const source = await ServerProcess.start(t);
  const target = await ServerProcess.start(t);
  const vectors = await seed(connect(t, source.address));
  const b = connect(t, target.address);
  await b.createCollection({ name: 'keep', dimension: 2 });
  await b.insert({ collection: 'keep', id: 1, vector: [1, 0] });
  const chunks = await exportChunks(rawClient(t, source.address), 4096);
  t.true(chunks.length > 4);
  const flipped = chunks.map((c, i) => (i === 2 && c.fileChunk ? { ...c, fileChunk: { ...c.fileChunk, data: Buffer.from(c.fileChunk.data.map((x) => x ^ 1)) } } : c));
  const bad: Array<[string, SnapshotChunkPB[]]> = [
    ['a gap in sequence', [...chunks.slice(0, 2), ...chunks.slice(3)]],
    ['a checksum mismatch', flipped],
    ['an end before is_final', chunks.slice(0, -1)],
    ['an empty stream', []],
  ];
  const raw = rawClient(t, target.address);
  for (const [name, stream] of bad) {
    const err = await t.throwsAsync<ServiceError>(importChunks(raw, stream), undefined, name);
    t.is(err?.code, status.INVALID_ARGUMENT, `${name}: ${err?.details}`);
    t.is(err?.metadata.get('x-vxl-code')[0], 'SNAPSHOT_INVALID', name);
  }
  t.deepEqual(await b.listCollections().then((l) => l.map((c) => [c.name, c.count])), [['keep', 1]]);
  t.deepEqual((await b.search({ collection: 'keep', vector: [1, 0] })).map((r) => r.id), [1]);
  t.is(vectors.length, 300);
});

test('a client that cancels mid-stream leaves the served data intact and the server serving', async (t) => {
  const source = await ServerProcess.start(t);
  const target = await ServerProcess.start(t);
  await seed(connect(t, source.address));
  const b = connect(t, target.address);
  await b.createCollection({ name: 'keep', dimension: 2 });
  const chunks = await exportChunks(rawClient(t, source.address), 4096);
  const raw = rawClient(t, target.address);
  const outcome = new Promise<ServiceError | null>((resolve) => {
    const call = raw.importSnapshot((err) => resolve(err));
    for (const c of chunks.slice(0, Math.floor(chunks.length / 2))) call.write(c);
    setTimeout(() => call.cancel(), 200);
  });
  t.is((await outcome)?.code, status.CANCELLED);
  // grpc-js may end the request stream before it reports the cancellation, so the server
  // sees either CANCELLED or a stream that ended before is_final: both import nothing.
  const logged = await target.waitForLog((l) => l.method === 'ImportSnapshot' && typeof l.code === 'string');
  t.true(['CANCELLED', 'INVALID_ARGUMENT'].includes(logged.code as string), String(logged.code));
  t.deepEqual((await b.listCollections()).map((c) => c.name), ['keep']);

  const exportCancelled = new Promise<void>((resolve) => {
    const stream = raw.exportSnapshot({ chunkSize: 1024, includeIndexFiles: true });
    stream.once('data', () => stream.cancel());
    stream.on('error', () => resolve());
    stream.on('end', () => resolve());
  });
  await exportCancelled;
  t.true(await b.collectionExists('keep'));
});

test('exportSnapshotToFile rejects a bad chunk_size with INVALID_ARGUMENT', async (t) => {
  const { address } = await ServerProcess.start(t);
  const client = connect(t, address);
  const dir = await tempDir(t);
  const err = await t.throwsAsync(client.exportSnapshotToFile(join(dir, 'x'), { chunkSize: 64 * 1024 * 1024 }), { instanceOf: VectorXLiteError });
  t.is(err?.code, 'INVALID_ARGUMENT');
});

test('exportSnapshotToFile: a path it cannot write is IO_ERROR and leaves no file behind', async (t) => {
  const { address } = await ServerProcess.start(t);
  const client = connect(t, address);
  await seed(client);
  const dir = await tempDir(t);
  await mkdir(join(dir, 'a-directory'));
  for (const path of [join(dir, 'missing', 'x.vxlsnap'), join(dir, 'a-directory')]) {
    const err = await t.throwsAsync(client.exportSnapshotToFile(path), { instanceOf: VectorXLiteError });
    t.is(err?.code, 'IO_ERROR', path);
    t.true(err?.message.includes(path), err?.message);
  }
  t.deepEqual(await readdir(dir), ['a-directory']);
  t.deepEqual(await readdir(join(dir, 'a-directory')), []);
});
