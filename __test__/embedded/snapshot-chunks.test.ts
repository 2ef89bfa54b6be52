import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { native, vectorlitePath, type NativeHandle } from '../../src/embedded/native.js';
import type { ImportResult, SnapshotMetadata } from '../../src/embedded/types.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The addon's chunked snapshot handles (crates/node/src/snapshot_stream.rs), driven the way
 * a server would: chunks read from one database are written into another, one awaited call
 * at a time, with the snapshot staged on disk rather than held in memory.
 */
interface SnapshotReaderHandle {
  readonly metadata: SnapshotMetadata;
  readonly chunkSize: number;
  readonly totalBytes: number;
  readonly chunkCount: number;
}
type SnapshotWriterHandle = { readonly __brand: 'SnapshotWriter' };

interface ChunkedSnapshotAddon {
  snapshotReaderOpen(db: NativeHandle, options: { stagingDir: string; chunkSize?: number }): Promise<SnapshotReaderHandle>;
  snapshotReaderNext(reader: SnapshotReaderHandle): Promise<Buffer | null>;
  snapshotReaderClose(reader: SnapshotReaderHandle): Promise<void>;
  snapshotWriterOpen(db: NativeHandle, options: { stagingDir: string }): Promise<SnapshotWriterHandle>;
  snapshotWriterWrite(writer: SnapshotWriterHandle, chunk: Buffer): Promise<void>;
  snapshotWriterFinish(writer: SnapshotWriterHandle): Promise<ImportResult>;
  snapshotWriterAbort(writer: SnapshotWriterHandle): Promise<void>;
}

const addon = native() as ReturnType<typeof native> & ChunkedSnapshotAddon;
const QUERY = randomVectors(1, 16, 77)[0];

async function openDb(t: ExecutionContext, dir: string, name: string): Promise<NativeHandle> {
  const db = await addon.open(join(dir, name), { vectorlitePath: vectorlitePath() });
  t.teardown(() => addon.close(db));
  return db;
}

/** A database whose snapshot spans several 64 KiB chunks. */
async function source(t: ExecutionContext, dir: string): Promise<NativeHandle> {
  const db = await openDb(t, dir, 'source.db');
  await addon.createCollection(db, { name: 'docs', dimension: 16, distance: 'cosine', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)' });
  const points = randomVectors(2000, 16, 5).map((vector, id) => ({ id, vector, payloadInsertQuery: `INSERT INTO docs (title) VALUES ('doc ${id}')` }));
  await addon.insertBatch(db, 'docs', points);
  return db;
}

/** A database with one point of its own, which a failed import must leave alone. */
async function target(t: ExecutionContext, dir: string): Promise<NativeHandle> {
  const db = await openDb(t, dir, 'target.db');
  await addon.createCollection(db, { name: 'keep', dimension: 2, distance: 'l2' });
  await addon.insert(db, { collection: 'keep', id: 1, vector: new Float32Array([1, 1]) });
  return db;
}

async function stagingDir(t: ExecutionContext): Promise<string> {
  return tempDir(t, 'vxl-staging-');
}

async function readChunks(reader: SnapshotReaderHandle): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for (let chunk = await addon.snapshotReaderNext(reader); chunk !== null; chunk = await addon.snapshotReaderNext(reader)) {
    chunks.push(chunk);
  }
  return chunks;
}

async function writeChunks(db: NativeHandle, staging: string, chunks: Buffer[]): Promise<ImportResult> {
  const writer = await addon.snapshotWriterOpen(db, { stagingDir: staging });
  for (const chunk of chunks) await addon.snapshotWriterWrite(writer, chunk);
  return addon.snapshotWriterFinish(writer);
}

const searchDocs = (db: NativeHandle) => addon.search(db, { collection: 'docs', vector: QUERY, topK: 10, payloadSearchQuery: 'SELECT title FROM docs' });

test('chunks stream a snapshot from one database into another at the default and a small chunk size', async (t) => {
  const dir = await tempDir(t);
  const staging = await stagingDir(t);
  const src = await source(t, dir);
  const expected = { digest: await addon.digest(src), hits: await searchDocs(src) };
  for (const chunkSize of [undefined, 4096]) {
    const dst = await target(t, await tempDir(t));
    const reader = await addon.snapshotReaderOpen(src, { stagingDir: staging, chunkSize });
    t.is(reader.chunkSize, chunkSize ?? 64 * 1024);
    const chunks = await readChunks(reader);
    t.is(chunks.length, reader.chunkCount);
    t.true(chunks.length > 2, `${chunks.length} chunks of ${reader.chunkSize}`);
    t.true(chunks.slice(0, -1).every((c) => c.length === reader.chunkSize), 'only the last chunk is short');
    t.is(chunks.reduce((n, c) => n + c.length, 0), reader.totalBytes);
    t.deepEqual(await readdir(staging), [], 'the reader removed its staged file after the last chunk');
    t.is(await addon.snapshotReaderNext(reader), null, 'still null after the end');

    const result = await writeChunks(dst, staging, chunks);
    t.deepEqual(result, { snapshotId: reader.metadata.snapshotId, bytesRestored: reader.metadata.totalSize, filesRestored: 1 });
    t.is(await addon.digest(dst), expected.digest);
    t.deepEqual(await searchDocs(dst), expected.hits);
    t.false(await addon.collectionExists(dst, 'keep'));
    t.deepEqual(await readdir(staging), []);

    // The chunks joined are the snapshot file exportSnapshot writes.
    const file = join(dir, `joined-${reader.chunkSize}.vxlsnap`);
    await writeFile(file, Buffer.concat(chunks));
    const fromFile = await openDb(t, await tempDir(t), 'from-file.db');
    t.is((await addon.importSnapshot(fromFile, file)).snapshotId, reader.metadata.snapshotId);
    t.is(await addon.digest(fromFile), expected.digest);
  }
});

test('bad chunk streams are SNAPSHOT_INVALID and leave the database intact and usable', async (t) => {
  const dir = await tempDir(t);
  const staging = await stagingDir(t);
  const dst = await target(t, dir);
  const before = await addon.digest(dst);
  const chunks = await readChunks(await addon.snapshotReaderOpen(await source(t, dir), { stagingDir: staging, chunkSize: 4096 }));
  const flipped = chunks.map((c, i) => (i === Math.floor(chunks.length / 2) ? Buffer.from(c.map((b) => b ^ 1)) : c));
  const cases: Array<[string, Buffer[]]> = [
    ['the last chunk missing', chunks.slice(0, -1)],
    ['an empty stream', []],
    ['a corrupted chunk', flipped],
    ['two chunks swapped', [chunks[0], chunks[2], chunks[1], ...chunks.slice(3)]],
    ['a chunk repeated', [...chunks.slice(0, 3), ...chunks.slice(2)]],
    ['bytes past the end', [...chunks, Buffer.alloc(10)]],
    ['not a snapshot', [Buffer.from('SQLite format 3\0 and more bytes'), ...chunks.slice(1)]],
    ['an empty chunk', [chunks[0], Buffer.alloc(0), ...chunks.slice(1)]],
  ];
  for (const [name, stream] of cases) {
    await t.throwsAsync(writeChunks(dst, staging, stream), { code: 'SNAPSHOT_INVALID' }, name);
    t.is(await addon.digest(dst), before, name);
    t.deepEqual((await addon.search(dst, { collection: 'keep', vector: new Float32Array([1, 1]), topK: 1 })).map((h) => h.id), [1], name);
    await addon.insert(dst, { collection: 'keep', id: 2, vector: new Float32Array([2, 2]) });
    await addon.delete(dst, 'keep', 2);
    t.deepEqual(await readdir(staging), [], `${name}: nothing staged is left`);
  }
  // After a refused chunk the writer stays refused, even for the right chunk.
  const writer = await addon.snapshotWriterOpen(dst, { stagingDir: staging });
  await addon.snapshotWriterWrite(writer, chunks[0]);
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, Buffer.alloc(0)), { code: 'SNAPSHOT_INVALID' });
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, chunks[1]), { code: 'SNAPSHOT_INVALID' });
  await t.throwsAsync(async () => addon.snapshotWriterFinish(writer), { code: 'SNAPSHOT_INVALID' });
  t.is(await addon.digest(dst), before);
});

test('one call at a time per handle; close and abort remove the staged file and end the handle', async (t) => {
  const dir = await tempDir(t);
  const staging = await stagingDir(t);
  const src = await source(t, dir);
  const dst = await target(t, dir);

  const reader = await addon.snapshotReaderOpen(src, { stagingDir: staging, chunkSize: 4096 });
  t.is((await readdir(staging)).length, 1, 'the snapshot is staged on disk');
  const first = addon.snapshotReaderNext(reader);
  await t.throwsAsync(async () => addon.snapshotReaderNext(reader), { code: 'INVALID_ARGUMENT', message: /await each call/ });
  const chunk = await first;
  t.is(chunk?.length, 4096);
  await addon.snapshotReaderClose(reader);
  t.deepEqual(await readdir(staging), []);
  await t.throwsAsync(async () => addon.snapshotReaderNext(reader), { code: 'CLOSED' });
  await addon.snapshotReaderClose(reader);

  const writer = await addon.snapshotWriterOpen(dst, { stagingDir: staging });
  const write = addon.snapshotWriterWrite(writer, chunk as Buffer);
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, chunk as Buffer), { code: 'INVALID_ARGUMENT', message: /await each call/ });
  await write;
  await addon.snapshotWriterAbort(writer);
  t.deepEqual(await readdir(staging), []);
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, chunk as Buffer), { code: 'CLOSED' });
  await t.throwsAsync(async () => addon.snapshotWriterFinish(writer), { code: 'CLOSED' });
  await addon.snapshotWriterAbort(writer);
  t.true(await addon.collectionExists(dst, 'keep'));
});

test('bad arguments are INVALID_ARGUMENT and stage nothing', async (t) => {
  const dir = await tempDir(t);
  const staging = await stagingDir(t);
  const db = await target(t, dir);
  for (const chunkSize of [0, 100, 1023, 16 * 1024 * 1024 + 1, -1, 1.5]) {
    await t.throwsAsync(async () => addon.snapshotReaderOpen(db, { stagingDir: staging, chunkSize }), { code: 'INVALID_ARGUMENT' }, `chunkSize ${chunkSize}`);
  }
  const missing = join(dir, 'no-such-dir');
  await t.throwsAsync(async () => addon.snapshotReaderOpen(db, { stagingDir: missing }), { code: 'INVALID_ARGUMENT' });
  await t.throwsAsync(async () => addon.snapshotWriterOpen(db, { stagingDir: missing }), { code: 'INVALID_ARGUMENT' });
  const writer = await addon.snapshotWriterOpen(db, { stagingDir: staging });
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, 'VXLSNAP1' as unknown as Buffer), { code: 'INVALID_ARGUMENT' });
  await t.throwsAsync(async () => addon.snapshotReaderNext(writer as unknown as SnapshotReaderHandle), { code: 'INVALID_ARGUMENT' });
  await addon.snapshotWriterAbort(writer);
  t.deepEqual(await readdir(staging), []);
});
