import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotChunkPB } from '../../src/gen/vectorxlite/v1/vectorxlite.js';
import type { SnapshotMetadata } from '../../src/embedded/types.js';
import { VectorXLiteError } from '../../src/errors.js';
import { encodeContainerHeader, readContainerHeader } from '../../src/snapshot/container.js';
import { snapshotChunks } from '../../src/snapshot/export-stream.js';
import { SnapshotStreamAssembler } from '../../src/snapshot/import-assembler.js';
import { tempDir } from '../helpers/temp-dir.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A snapshot file with a database file and an index file of known bytes. */
async function sampleSnapshot(dir: string): Promise<{ path: string; metadata: SnapshotMetadata; db: Buffer; index: Buffer }> {
  const db = Buffer.from(Array.from({ length: 150_000 }, (_, i) => (i * 31) % 251));
  const index = Buffer.alloc(70_001, 9);
  const metadata: SnapshotMetadata = {
    snapshotId: 'snap-1',
    createdAt: 1_764_201_600_000,
    totalSize: db.length + index.length,
    version: 1,
    checksum: sha(Buffer.concat([db, index])),
    files: [
      { fileName: 'vectorxlite.db', fileType: 'sqlite_db', fileSize: db.length, checksum: sha(db) },
      { fileName: 'docs.hnsw', fileType: 'hnsw_index', fileSize: index.length, checksum: sha(index) },
    ],
  };
  const path = join(dir, 'sample.vxlsnap');
  await writeFile(path, Buffer.concat([encodeContainerHeader(metadata), db, index]));
  return { path, metadata, db, index };
}

async function collect(path: string, options = {}): Promise<SnapshotChunkPB[]> {
  const chunks: SnapshotChunkPB[] = [];
  for await (const c of snapshotChunks(path, options)) chunks.push(c);
  return chunks;
}

async function assemble(t: ExecutionContext, dest: string, chunks: SnapshotChunkPB[]): Promise<VectorXLiteError | SnapshotMetadata> {
  const assembler = new SnapshotStreamAssembler(dest);
  try {
    for (const c of chunks) await assembler.accept(c);
    return await assembler.finish();
  } catch (err) {
    await assembler.discard();
    t.true(err instanceof VectorXLiteError);
    return err as VectorXLiteError;
  }
}

test('export chunks: metadata first, consecutive sequences, offsets per file, is_final on the last only', async (t) => {
  const dir = await tempDir(t);
  const { path } = await sampleSnapshot(dir);
  const chunks = await collect(path, { chunkSize: 65_536 });
  t.truthy(chunks[0].metadata);
  t.is(chunks[0].fileChunk, undefined);
  t.deepEqual(chunks.map((c) => c.sequence), chunks.map((_, i) => i));
  t.deepEqual(chunks.map((c) => c.isFinal), chunks.map((_, i) => i === chunks.length - 1));
  const dbChunks = chunks.filter((c) => c.fileChunk?.fileName === 'vectorxlite.db');
  t.deepEqual(dbChunks.map((c) => c.fileChunk?.offset), [0, 65_536, 131_072]);
  t.deepEqual(dbChunks.map((c) => c.fileChunk?.isLastChunk), [false, false, true]);
  t.is((await collect(path)).length, chunks.length, 'chunk size 0 means 64 KiB');
});

test('chunks reassemble into an equal snapshot file: same metadata, same file bytes', async (t) => {
  const dir = await tempDir(t);
  const { path, metadata, db, index } = await sampleSnapshot(dir);
  const dest = join(dir, 'copy.vxlsnap');
  const result = await assemble(t, dest, await collect(path, { chunkSize: 1000 }));
  t.false(result instanceof VectorXLiteError);
  const header = await readContainerHeader(dest);
  t.deepEqual(header.metadata, metadata);
  t.deepEqual((await readFile(dest)).subarray(header.dataOffset), Buffer.concat([db, index]));
});

test('without index files the metadata is recomputed and still verifies', async (t) => {
  const dir = await tempDir(t);
  const { path, db } = await sampleSnapshot(dir);
  const chunks = await collect(path, { includeIndexFiles: false });
  t.deepEqual(chunks[0].metadata?.files.map((f) => f.fileName), ['vectorxlite.db']);
  t.is(chunks[0].metadata?.checksum, sha(db));
  const dest = join(dir, 'noindex.vxlsnap');
  t.false((await assemble(t, dest, chunks)) instanceof VectorXLiteError);
  const header = await readContainerHeader(dest);
  t.is(header.metadata.totalSize, db.length);
});

const rejects: Array<[string, (chunks: SnapshotChunkPB[]) => SnapshotChunkPB[], string]> = [
  ['a gap in sequence', (c) => [...c.slice(0, 2), ...c.slice(3)], 'sequence'],
  ['chunks out of order', (c) => [c[0], c[2], c[1], ...c.slice(3)], 'sequence'],
  ['no metadata first', (c) => [{ ...c[0], metadata: undefined }, ...c.slice(1)], 'metadata'],
  ['a flipped byte', (c) => c.map((x, i) => (i === 2 && x.fileChunk ? { ...x, fileChunk: { ...x.fileChunk, data: flip(x.fileChunk.data) } } : x)), 'checksum'],
  ['a wrong offset', (c) => c.map((x, i) => (i === 2 && x.fileChunk ? { ...x, fileChunk: { ...x.fileChunk, offset: x.fileChunk.offset + 1 } } : x)), 'offset'],
  ['a wrong overall checksum', (c) => [{ ...c[0], metadata: { ...c[0].metadata!, checksum: 'a'.repeat(64) } }, ...c.slice(1)], 'overall'],
  ['the stream ending before is_final', (c) => c.slice(0, -1), 'is_final'],
  ['a chunk after is_final', (c) => [...c, { ...c[c.length - 1], sequence: c.length }], 'after'],
  ['an unsupported version', (c) => [{ ...c[0], metadata: { ...c[0].metadata!, version: 99 } }, ...c.slice(1)], 'version'],
  ['a path in a file name', (c) => [{ ...c[0], metadata: { ...c[0].metadata!, files: c[0].metadata!.files.map((f) => ({ ...f, fileName: `../${f.fileName}` })) } }, ...c.slice(1)], 'name'],
];

for (const [name, corrupt, mention] of rejects) {
  test(`assembler rejects ${name} with SNAPSHOT_INVALID and leaves no file`, async (t) => {
    const dir = await tempDir(t);
    const { path } = await sampleSnapshot(dir);
    const dest = join(dir, 'bad.vxlsnap');
    const result = await assemble(t, dest, corrupt(await collect(path, { chunkSize: 50_000 })));
    t.true(result instanceof VectorXLiteError);
    const err = result as VectorXLiteError;
    t.is(err.code, 'SNAPSHOT_INVALID');
    t.true(err.message.includes(mention), `"${err.message}" mentions ${mention}`);
    await t.throwsAsync(stat(dest), { code: 'ENOENT' });
  });
}

test('a truncated or foreign snapshot file is SNAPSHOT_INVALID', async (t) => {
  const dir = await tempDir(t);
  const { path } = await sampleSnapshot(dir);
  const bytes = await readFile(path);
  await writeFile(join(dir, 'short'), bytes.subarray(0, bytes.length - 10));
  await writeFile(join(dir, 'foreign'), Buffer.from('SQLite format 3\0 and more bytes'));
  for (const name of ['short', 'foreign']) {
    const err = await t.throwsAsync(readContainerHeader(join(dir, name)), { instanceOf: VectorXLiteError });
    t.is(err?.code, 'SNAPSHOT_INVALID');
  }
});

function flip(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  copy[0] ^= 0xff;
  return copy;
}
