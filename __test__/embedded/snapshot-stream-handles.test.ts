import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { native, vectorlitePath, type NativeHandle, type NativeSnapshotReader } from '../../src/embedded/native.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The addon's snapshot reader and writer handles (crates/node/src/snapshot_stream.rs) where
 * VectorXLite's streams (snapshot-chunks.test.ts) cannot reach: they never overlap calls on
 * a handle and abort a writer at its first refusal, but a server driving the handles could.
 */
const addon = native();

async function openDb(t: ExecutionContext, dir: string, name: string): Promise<NativeHandle> {
  const db = await addon.open(join(dir, name), { vectorlitePath: vectorlitePath() });
  t.teardown(() => addon.close(db));
  return db;
}

async function source(t: ExecutionContext, dir: string): Promise<NativeHandle> {
  const db = await openDb(t, dir, 'source.db');
  await addon.createCollection(db, { name: 'docs', dimension: 16, distance: 'cosine' });
  await addon.insertBatch(db, 'docs', randomVectors(500, 16, 5).map((vector, id) => ({ id, vector })));
  return db;
}

async function readChunks(reader: NativeSnapshotReader): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for (let chunk = await addon.snapshotReaderNext(reader); chunk !== null; chunk = await addon.snapshotReaderNext(reader)) chunks.push(chunk);
  return chunks;
}

test('one call at a time per handle; close and abort remove the staged file and end the handle', async (t) => {
  const dir = await tempDir(t);
  const staging = await tempDir(t, 'vxl-staging-');
  const dst = await openDb(t, dir, 'target.db');
  const reader = await addon.snapshotReaderOpen(await source(t, dir), { stagingDir: staging, chunkSize: 4096 });
  t.is(reader.chunkSize, 4096);
  t.is(reader.chunkCount, Math.ceil(reader.totalBytes / 4096));
  t.is((await readdir(staging)).length, 1, 'the snapshot is staged on disk');
  const first = addon.snapshotReaderNext(reader);
  await t.throwsAsync(async () => addon.snapshotReaderNext(reader), { code: 'INVALID_ARGUMENT', message: /await each call/ });
  const chunk = (await first) as Buffer;
  t.is(chunk.length, 4096);
  await addon.snapshotReaderClose(reader);
  t.deepEqual(await readdir(staging), []);
  await t.throwsAsync(async () => addon.snapshotReaderNext(reader), { code: 'CLOSED' });
  await addon.snapshotReaderClose(reader);

  const writer = await addon.snapshotWriterOpen(dst, { stagingDir: staging });
  const write = addon.snapshotWriterWrite(writer, chunk);
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, chunk), { code: 'INVALID_ARGUMENT', message: /await each call/ });
  await write;
  await addon.snapshotWriterAbort(writer);
  t.deepEqual(await readdir(staging), []);
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, chunk), { code: 'CLOSED' });
  await t.throwsAsync(async () => addon.snapshotWriterFinish(writer, dst), { code: 'CLOSED' });
  await addon.snapshotWriterAbort(writer);
});

test('a refused chunk ends the writer: later chunks, even the right one, and finish repeat the refusal', async (t) => {
  const dir = await tempDir(t);
  const staging = await tempDir(t, 'vxl-staging-');
  const chunks = await readChunks(await addon.snapshotReaderOpen(await source(t, dir), { stagingDir: staging, chunkSize: 4096 }));
  const dst = await openDb(t, dir, 'target.db');
  const before = await addon.digest(dst);
  const writer = await addon.snapshotWriterOpen(dst, { stagingDir: staging });
  await addon.snapshotWriterWrite(writer, chunks[0]!);
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, Buffer.alloc(0)), { code: 'SNAPSHOT_INVALID' });
  t.deepEqual(await readdir(staging), [], 'the staged bytes are removed at the refusal');
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, chunks[1]!), { code: 'SNAPSHOT_INVALID' });
  await t.throwsAsync(async () => addon.snapshotWriterFinish(writer, dst), { code: 'SNAPSHOT_INVALID' });
  t.is(await addon.digest(dst), before);
});

test('a handle of the wrong kind or a chunk that is not bytes is INVALID_ARGUMENT', async (t) => {
  const dir = await tempDir(t);
  const staging = await tempDir(t, 'vxl-staging-');
  const writer = await addon.snapshotWriterOpen(await openDb(t, dir, 'db.db'), { stagingDir: staging });
  await t.throwsAsync(async () => addon.snapshotWriterWrite(writer, 'VXLSNAP1' as unknown as Buffer), { code: 'INVALID_ARGUMENT' });
  await t.throwsAsync(async () => addon.snapshotReaderNext(writer as unknown as NativeSnapshotReader), { code: 'INVALID_ARGUMENT' });
  await addon.snapshotWriterAbort(writer);
  t.deepEqual(await readdir(staging), []);
});
