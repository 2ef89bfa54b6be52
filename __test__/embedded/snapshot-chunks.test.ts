import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test, { type ExecutionContext } from 'ava';
import { VectorXLite, VectorXLiteError } from '../../src/index.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * VectorXLite.exportSnapshotStream / importSnapshotStream (src/embedded/snapshot-stream.ts
 * over crates/node/src/snapshot_stream.rs): a snapshot streamed as ordered chunks from one
 * database into another, staged on disk rather than held in memory, and every way a stream
 * can go wrong leaving the target as it was and nothing staged behind.
 */
const QUERY = randomVectors(1, 16, 77)[0];

async function openDb(t: ExecutionContext, dir: string, name: string): Promise<VectorXLite> {
  const db = await VectorXLite.open(join(dir, name));
  t.teardown(async () => {
    await db.close().catch(() => undefined);
  });
  return db;
}

/** A database whose snapshot spans several 64 KiB chunks. */
async function source(t: ExecutionContext, dir: string): Promise<VectorXLite> {
  const db = await openDb(t, dir, 'source.db');
  await db.createCollection({ name: 'docs', dimension: 16, distance: 'cosine', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)' });
  await db.insertBatch('docs', randomVectors(2000, 16, 5).map((vector, id) => ({ id, vector, payloadInsertQuery: `INSERT INTO docs (title) VALUES ('doc ${id}')` })));
  return db;
}

/** A database with one point of its own, which a failed import must leave alone. */
async function target(t: ExecutionContext, dir: string, name = 'target.db'): Promise<VectorXLite> {
  const db = await openDb(t, dir, name);
  await db.createCollection({ name: 'keep', dimension: 2, distance: 'l2' });
  await db.insert({ collection: 'keep', id: 1, vector: [1, 1] });
  return db;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

const searchDocs = (db: VectorXLite) => db.search({ collection: 'docs', vector: QUERY, topK: 10, payloadSearchQuery: 'SELECT title FROM docs' });

/** The target still holds exactly its own point and takes writes. */
async function assertUntouched(t: ExecutionContext, db: VectorXLite, digest: string, what: string): Promise<void> {
  t.is(await db.digest(), digest, what);
  t.deepEqual((await db.search({ collection: 'keep', vector: [1, 1], topK: 1 })).map((h) => h.id), [1], what);
  await db.insert({ collection: 'keep', id: 2, vector: [2, 2] });
  t.true(await db.delete({ collection: 'keep', id: 2 }), what);
}

test('a snapshot streams from one database into another at the default and a small chunk size', async (t) => {
  const dir = await tempDir(t);
  const stagingDir = await tempDir(t, 'vxl-staging-');
  const src = await source(t, dir);
  const expected = { digest: await src.digest(), hits: await searchDocs(src) };
  for (const chunkSize of [undefined, 4096]) {
    const size = chunkSize ?? 64 * 1024;
    const chunks = await collect(src.exportSnapshotStream({ chunkSize, stagingDir }));
    t.true(chunks.length > 2, `${chunks.length} chunks of ${size}`);
    t.true(chunks.slice(0, -1).every((c) => c.length === size), 'only the last chunk is short');
    t.deepEqual(await readdir(stagingDir), [], 'the staged file is gone after the last chunk');

    const dst = await target(t, await tempDir(t));
    const result = await dst.importSnapshotStream(chunks, { stagingDir });
    t.is(result.filesRestored, 1);
    t.true(result.bytesRestored > 0);
    t.is(await dst.digest(), expected.digest);
    t.deepEqual(await searchDocs(dst), expected.hits);
    t.false(await dst.collectionExists('keep'));
    t.deepEqual(await readdir(stagingDir), []);

    // The chunks joined are a snapshot file as exportSnapshot writes it.
    const file = join(dir, `joined-${size}.vxlsnap`);
    await writeFile(file, Buffer.concat(chunks));
    const fromFile = await openDb(t, await tempDir(t), 'from-file.db');
    t.is((await fromFile.importSnapshot(file)).snapshotId, result.snapshotId);
    t.is(await fromFile.digest(), expected.digest);
  }
});

test('export and import keep call order: a write made before them, even unawaited, is in the snapshot or replaced by the import', async (t) => {
  const dir = await tempDir(t);
  const src = await source(t, dir);
  const late = randomVectors(3000, 16, 9).map((vector, i) => ({ id: 10_000 + i, vector }));
  const inserting = src.insertBatch('docs', late);
  const chunks = await collect(src.exportSnapshotStream());
  await inserting;

  const dst = await target(t, await tempDir(t));
  const overwritten = dst.insert({ collection: 'keep', id: 2, vector: [2, 2] });
  await dst.importSnapshotStream(chunks);
  await overwritten;
  t.is((await dst.collectionInfo('docs')).count, 2000 + late.length, 'the batch made before the export is in it');
  t.false(await dst.collectionExists('keep'), 'the insert made before the import was replaced by it');
});

test('a stream piped through a real file and Node streams imports, cut at any points, with the OS temp dir as staging', async (t) => {
  const dir = await tempDir(t);
  const src = await source(t, dir);
  const file = join(dir, 'piped.vxlsnap');
  await pipeline(Readable.from(src.exportSnapshotStream()), createWriteStream(file));

  const dst = await target(t, dir);
  const result = await dst.importSnapshotStream(createReadStream(file, { highWaterMark: 10_007 }));
  t.is(await dst.digest(), await src.digest());
  t.deepEqual(await searchDocs(dst), await searchDocs(src));

  // A file written by exportSnapshot streams in as well, as Uint8Array chunks of a plain iterable.
  const exported = join(dir, 'exported.vxlsnap');
  const metadata = await src.exportSnapshot(exported);
  const bytes = new Uint8Array(await readFile(exported));
  const pieces = [bytes.subarray(0, 5), bytes.subarray(5, 70_000), bytes.subarray(70_000)];
  const again = await target(t, dir, 'again.db');
  t.is((await again.importSnapshotStream(pieces)).snapshotId, metadata.snapshotId);
  t.not(result.snapshotId, metadata.snapshotId);
  t.is(await again.digest(), await src.digest());
});

test('leaving the loop early, or an error in its body, closes the reader and removes the staged file', async (t) => {
  const dir = await tempDir(t);
  const stagingDir = await tempDir(t, 'vxl-staging-');
  const src = await source(t, dir);

  let seen = 0;
  for await (const chunk of src.exportSnapshotStream({ chunkSize: 4096, stagingDir })) {
    t.is(chunk.length, 4096);
    t.is((await readdir(stagingDir)).length, 1, 'the snapshot is staged on disk while it is read');
    if (++seen === 2) break;
  }
  t.deepEqual(await readdir(stagingDir), []);

  const thrown = new Error('consumer failed');
  await t.throwsAsync(async () => {
    for await (const _ of src.exportSnapshotStream({ stagingDir })) throw thrown;
  }, { is: thrown });
  t.deepEqual(await readdir(stagingDir), []);

  // An iterator returned before its first chunk stages nothing.
  const never = src.exportSnapshotStream({ stagingDir });
  await never.return();
  t.deepEqual(await readdir(stagingDir), []);
});

test('corrupted, truncated and reordered streams are SNAPSHOT_INVALID and leave the target as it was', async (t) => {
  const dir = await tempDir(t);
  const stagingDir = await tempDir(t, 'vxl-staging-');
  const dst = await target(t, dir);
  const before = await dst.digest();
  const chunks = await collect((await source(t, dir)).exportSnapshotStream({ chunkSize: 4096, stagingDir }));
  const middle = Math.floor(chunks.length / 2);
  const flipped = chunks.map((c, i) => (i === middle ? Buffer.from(c.map((b) => b ^ 1)) : c));
  const cases: Array<[string, Buffer[]]> = [
    ['the last chunk missing', chunks.slice(0, -1)],
    ['only half the bytes of the last chunk', [...chunks.slice(0, -1), chunks[chunks.length - 1]!.subarray(0, 10)]],
    ['an empty stream', []],
    ['a corrupted chunk', flipped],
    ['two chunks swapped', [chunks[0]!, chunks[2]!, chunks[1]!, ...chunks.slice(3)]],
    ['a chunk repeated', [...chunks.slice(0, 3), ...chunks.slice(2)]],
    ['bytes past the end', [...chunks, Buffer.alloc(10)]],
    ['not a snapshot', [Buffer.from('SQLite format 3\0 and more bytes'), ...chunks.slice(1)]],
    ['an empty chunk', [chunks[0]!, Buffer.alloc(0), ...chunks.slice(1)]],
  ];
  for (const [name, stream] of cases) {
    const error = await t.throwsAsync(dst.importSnapshotStream(stream, { stagingDir }), { instanceOf: VectorXLiteError, code: 'SNAPSHOT_INVALID' }, name);
    t.truthy(error?.message, name);
    await assertUntouched(t, dst, before, name);
    t.deepEqual(await readdir(stagingDir), [], `${name}: nothing staged is left`);
  }
});

test('a source that throws, or yields something other than bytes, aborts the import and is closed', async (t) => {
  const dir = await tempDir(t);
  const stagingDir = await tempDir(t, 'vxl-staging-');
  const chunks = await collect((await source(t, dir)).exportSnapshotStream({ chunkSize: 4096, stagingDir }));
  const dst = await target(t, dir);
  const before = await dst.digest();

  const failure = new Error('the network went away');
  async function* failing(): AsyncGenerator<Buffer> {
    yield chunks[0]!;
    yield chunks[1]!;
    throw failure;
  }
  const cancelled = await t.throwsAsync(dst.importSnapshotStream(failing(), { stagingDir }), { instanceOf: VectorXLiteError, code: 'CANCELLED' });
  t.is(cancelled?.cause, failure);
  await assertUntouched(t, dst, before, 'after a failing source');
  t.deepEqual(await readdir(stagingDir), []);

  let closed = false;
  function* mixed(): Generator<unknown> {
    try {
      yield chunks[0];
      yield 'VXLSNAP1';
      yield chunks[1];
    } finally {
      closed = true;
    }
  }
  await t.throwsAsync(dst.importSnapshotStream(mixed() as Iterable<Uint8Array>, { stagingDir }), { code: 'INVALID_ARGUMENT', message: /chunk 1/ });
  t.true(closed, 'the source was returned');
  await assertUntouched(t, dst, before, 'after a string chunk');

  // A chunk the writer refuses also closes the source.
  closed = false;
  function* reordered(): Generator<Buffer> {
    try {
      yield chunks[1]!;
      yield chunks[0]!;
    } finally {
      closed = true;
    }
  }
  await t.throwsAsync(dst.importSnapshotStream(reordered(), { stagingDir }), { code: 'SNAPSHOT_INVALID' });
  t.true(closed);
  await assertUntouched(t, dst, before, 'after a refused chunk');
  t.deepEqual(await readdir(stagingDir), []);
});

test('bad arguments are INVALID_ARGUMENT and stage nothing', async (t) => {
  const dir = await tempDir(t);
  const stagingDir = await tempDir(t, 'vxl-staging-');
  const db = await target(t, dir);
  for (const chunkSize of [0, 100, 1023, 16 * 1024 * 1024 + 1, -1, 1.5, '4096']) {
    await t.throwsAsync(collect(db.exportSnapshotStream({ chunkSize: chunkSize as number, stagingDir })), { code: 'INVALID_ARGUMENT' }, `chunkSize ${chunkSize}`);
  }
  const missing = join(dir, 'no-such-dir');
  await t.throwsAsync(collect(db.exportSnapshotStream({ stagingDir: missing })), { code: 'INVALID_ARGUMENT' });
  await t.throwsAsync(db.importSnapshotStream([], { stagingDir: missing }), { code: 'INVALID_ARGUMENT' });
  for (const bad of [undefined, null, 'VXLSNAP1', 42, { length: 1 }]) {
    await t.throwsAsync(db.importSnapshotStream(bad as unknown as Iterable<Uint8Array>, { stagingDir }), { code: 'INVALID_ARGUMENT' }, String(bad));
  }
  await t.throwsAsync(db.importSnapshotStream([], 'dir' as unknown as { stagingDir: string }), { code: 'INVALID_ARGUMENT' });
  t.deepEqual(await readdir(stagingDir), []);
  t.true(await db.collectionExists('keep'));
});

test('after close() both reject with CLOSED; an import whose database closes mid-stream is CLOSED too', async (t) => {
  const dir = await tempDir(t);
  const stagingDir = await tempDir(t, 'vxl-staging-');
  const src = await source(t, dir);
  const chunks = await collect(src.exportSnapshotStream({ chunkSize: 4096, stagingDir }));

  const dst = await target(t, dir);
  async function* closingMidway(): AsyncGenerator<Buffer> {
    yield chunks[0]!;
    await dst.close();
    yield* chunks.slice(1);
  }
  await t.throwsAsync(dst.importSnapshotStream(closingMidway(), { stagingDir }), { code: 'CLOSED' });
  t.deepEqual(await readdir(stagingDir), []);
  const reopened = await VectorXLite.open(join(dir, 'target.db'));
  t.true(await reopened.collectionExists('keep'), 'the closed database was not replaced');
  t.false(await reopened.collectionExists('docs'));
  await reopened.close();

  await src.close();
  await t.throwsAsync(collect(src.exportSnapshotStream({ stagingDir })), { instanceOf: VectorXLiteError, code: 'CLOSED' });
  await t.throwsAsync(src.importSnapshotStream(chunks, { stagingDir }), { instanceOf: VectorXLiteError, code: 'CLOSED' });
  t.deepEqual(await readdir(stagingDir), []);
});
