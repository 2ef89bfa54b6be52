import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { VectorXLite } from '../../src/index.js';
import { captureState, openFileDb, openMemoryDb, type OpenedDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';
import { randomVectors } from '../helpers/random.js';
import { HEADER_SIZE, readSnapshotFile, sha256, writeSnapshotFile } from '../helpers/snapshot-file.js';
import { tempDir } from '../helpers/temp-dir.js';

const QUERIES = randomVectors(5, 8, 404);

/** Two collections with payloads, a deleted point and enough points for a real HNSW graph. */
async function fill(db: VectorXLite) {
  await db.createCollection({ name: 'docs', dimension: 8, payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT, score REAL, raw BLOB)' });
  await db.createCollection({ name: 'tags', dimension: 8, distance: 'l2', maxElements: 50 });
  await db.insertBatch(
    'docs',
    randomVectors(500, 8, 1).map((vector, i) => ({
      id: i + 1,
      vector,
      payloadInsertQuery: `INSERT INTO docs (title, score, raw) VALUES ('doc ${i + 1}', ${i / 7}, x'${(i % 256).toString(16).padStart(2, '0')}')`,
    })),
  );
  await db.insertBatch('tags', randomVectors(80, 8, 2).map((vector, i) => ({ id: i * 10, vector })));
  await db.delete({ collection: 'docs', id: 42 });
}

/** Everything a user sees through searches, including filtered ones and at a custom ef. */
async function searchResults(db: VectorXLite) {
  const results = [];
  for (const vector of QUERIES) {
    results.push(await db.search({ collection: 'docs', vector, topK: 10 }));
    results.push(await db.search({ collection: 'docs', vector, topK: 5, payloadSearchQuery: 'SELECT title, raw FROM docs WHERE score < 20', ef: 64 }));
    results.push(await db.search({ collection: 'tags', vector, topK: 10 }));
  }
  return results;
}

async function roundTrip(t: ExecutionContext, source: OpenedDb, target: OpenedDb) {
  await fill(source.db);
  await target.db.createCollection({ name: 'stale', dimension: 3 });
  const expected = await searchResults(source.db);
  const sourceState = await captureState(source.db, source.file);

  const snapshot = join(await tempDir(t), 'db.snapshot');
  const metadata = await source.db.exportSnapshot(snapshot);
  t.deepEqual(await captureState(source.db, source.file), sourceState, 'export leaves the source as it was');

  const result = await target.db.importSnapshot(snapshot);
  t.deepEqual(result, { snapshotId: metadata.snapshotId, bytesRestored: metadata.totalSize, filesRestored: metadata.files.length });
  t.deepEqual(await searchResults(target.db), expected, 'searches return exactly what the source returned');
  t.deepEqual((await captureState(target.db, ':memory:')).points, sourceState.points);
  t.deepEqual(await target.db.listCollections(), sourceState.collections, 'the import replaced the old collections');
}

test('a file snapshot round-trips into another file database', async (t) => {
  const target = await openFileDb(t, undefined, 'target.db');
  await roundTrip(t, await openFileDb(t, undefined, 'source.db'), target);

  // The imported database is durable and writable.
  await target.db.insert({ collection: 'tags', id: 9999, vector: QUERIES[0]! });
  const expected = await searchResults(target.db);
  await target.db.close();
  const reopened = await VectorXLite.open(target.file);
  t.teardown(() => reopened.close());
  t.deepEqual(await searchResults(reopened), expected);
});

test('an in-memory snapshot round-trips into another in-memory database', async (t) => {
  await roundTrip(t, await openMemoryDb(t), await openMemoryDb(t));
});

test('snapshots move between in-memory and file databases', async (t) => {
  await roundTrip(t, await openMemoryDb(t), await openFileDb(t));
  await roundTrip(t, await openFileDb(t), await openMemoryDb(t));
});

test('the snapshot file follows docs/snapshot-format.md', async (t) => {
  const source = await openFileDb(t);
  await fill(source.db);
  const path = join(await tempDir(t), 'db.snapshot');
  const metadata = await source.db.exportSnapshot(path);
  const parsed = readSnapshotFile(await readFile(path));

  t.deepEqual(parsed.metadata, metadata, 'the returned metadata is what the file holds');
  t.is(metadata.version, 1);
  t.true(metadata.snapshotId.length > 0);
  t.true(Number.isInteger(metadata.createdAt) && metadata.createdAt > Date.UTC(2020, 0, 1));
  t.is(metadata.files.filter((f) => f.fileType === 'sqlite_db').length, 1);
  t.is(metadata.totalSize, parsed.files.reduce((sum, data) => sum + data.length, 0));
  for (const [i, file] of metadata.files.entries()) t.is(file.checksum, sha256(parsed.files[i]!), `checksum of ${file.fileName}`);
  t.is(metadata.checksum, sha256(...parsed.files));
});

/** Damaged or foreign files; each must be rejected before the live data is touched. */
const invalidSnapshots: Array<[string, (valid: Buffer, sqliteFile: Buffer) => Buffer]> = [
  ['an empty file', () => Buffer.alloc(0)],
  ['random bytes', () => Buffer.from(randomVectors(1, 1024, 5)[0]!.buffer)],
  ['a plain SQLite database', (_, sqliteFile) => sqliteFile],
  ['a wrong magic', (valid) => Buffer.concat([Buffer.from('VXLSNAP9'), valid.subarray(8)])],
  ['a file cut inside the header', (valid) => valid.subarray(0, 10)],
  ['a file cut inside the metadata', (valid) => valid.subarray(0, HEADER_SIZE + 5)],
  ['a file cut in the middle of the data', (valid) => valid.subarray(0, Math.floor(valid.length / 2))],
  ['a file missing its last byte', (valid) => valid.subarray(0, valid.length - 1)],
  ['a file with a trailing extra byte', (valid) => Buffer.concat([valid, Buffer.from([0])])],
  ['a flipped byte in the data', (valid) => flip(valid, valid.length - 100)],
  ['a flipped last byte', (valid) => flip(valid, valid.length - 1)],
  ['metadata that is not JSON', (valid) => replaceMetadata(valid, (json) => json.replace('{', '['))],
  ['a wrong overall checksum', (valid) => replaceMetadata(valid, (json) => JSON.stringify({ ...JSON.parse(json), checksum: '0'.repeat(64) }))],
  ['a wrong file checksum', (valid) => {
    const { metadata, files } = readSnapshotFile(valid);
    const wrong = { ...metadata, files: metadata.files.map((f) => ({ ...f, checksum: sha256(Buffer.from('other')) })) };
    return replaceMetadata(valid, () => JSON.stringify(wrong), files);
  }],
  ['an unknown format version', (valid) => {
    const { files, metadata } = readSnapshotFile(valid);
    return writeSnapshotFile(metadata.files.map((f, i) => ({ ...f, data: files[i]! })), { version: 2 });
  }],
  ['consistent checksums over a database file that is garbage', () =>
    writeSnapshotFile([{ fileName: 'vectorxlite.db', fileType: 'sqlite_db', data: Buffer.from('SQLite format 3\0 but not really '.repeat(200)) }])],
];

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

/** Rewrites the metadata JSON, keeping the header's length field consistent with it. */
function replaceMetadata(valid: Buffer, edit: (json: string) => string, files?: Buffer[]): Buffer {
  const length = valid.readUInt32LE(8);
  const json = Buffer.from(edit(valid.subarray(HEADER_SIZE, HEADER_SIZE + length).toString('utf8')), 'utf8');
  const header = Buffer.alloc(HEADER_SIZE);
  valid.copy(header, 0, 0, 8);
  header.writeUInt32LE(json.length, 8);
  return Buffer.concat([header, json, ...(files ?? [valid.subarray(HEADER_SIZE + length)])]);
}

for (const [what, damage] of invalidSnapshots) {
  test(`importing ${what} is SNAPSHOT_INVALID and the old data stays intact and usable`, async (t) => {
    const dir = await tempDir(t);
    const donor = await openMemoryDb(t);
    await donor.db.createCollection({ name: 'donor', dimension: 8 });
    await donor.db.insertBatch('donor', randomVectors(50, 8, 3).map((vector, i) => ({ id: i, vector })));
    const validPath = join(dir, 'valid.snapshot');
    await donor.db.exportSnapshot(validPath);
    const plainSqlite = join(dir, 'plain.db');
    new Database(plainSqlite).exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)').close();

    const target = await openFileDb(t);
    await fill(target.db);
    const before = await captureState(target.db, target.file);
    const expected = await searchResults(target.db);

    const badPath = join(dir, 'bad.snapshot');
    await writeFile(badPath, damage(await readFile(validPath), await readFile(plainSqlite)));
    await rejectsWithCode(t, target.db.importSnapshot(badPath), 'SNAPSHOT_INVALID');

    t.deepEqual(await captureState(target.db, target.file), before);
    t.deepEqual(await searchResults(target.db), expected);
    await target.db.insert({ collection: 'docs', id: 100_000, vector: QUERIES[0]!, payloadInsertQuery: "INSERT INTO docs (title) VALUES ('after')" });
    t.is((await target.db.search({ collection: 'docs', vector: QUERIES[0]!, topK: 1 }))[0]!.id, 100_000);
  });
}

test('exporting into a missing directory is IO_ERROR', async (t) => {
  const { db } = await openMemoryDb(t);
  await rejectsWithCode(t, db.exportSnapshot(join(await tempDir(t), 'no', 'such', 'dir', 'x.snapshot')), 'IO_ERROR');
});

test('extra files in a snapshot, even with escaping names, restore the database and write nothing outside', async (t) => {
  const source = await openMemoryDb(t);
  await fill(source.db);
  const expected = await searchResults(source.db);
  const dir = await tempDir(t);
  const valid = join(dir, 'valid.snapshot');
  await source.db.exportSnapshot(valid);
  const { metadata, files } = readSnapshotFile(await readFile(valid));
  const escapee = `vxl-escape-${process.pid}-${Date.now()}.txt`;
  const crafted = join(dir, 'crafted.snapshot');
  await writeFile(
    crafted,
    writeSnapshotFile([
      ...metadata.files.map((f, i) => ({ ...f, data: files[i]! })),
      { fileName: 'docs.hnsw', fileType: 'hnsw_index', data: Buffer.alloc(4096, 7) },
      { fileName: `../${escapee}`, fileType: 'hnsw_index', data: Buffer.from('escaped') },
    ]),
  );

  const target = await openFileDb(t);
  await target.db.importSnapshot(crafted);
  t.deepEqual(await searchResults(target.db), expected, 'a bogus index file is not trusted');
  t.false(existsSync(join(dirname(target.file), '..', escapee)), 'nothing is written outside the database directory');
  t.false(existsSync(join(dirname(dir), escapee)));
});

test('an import replaces a same-named collection with different settings, in memory and on reopen', async (t) => {
  const source = await openMemoryDb(t);
  await fill(source.db);
  const expected = await searchResults(source.db);
  const path = join(await tempDir(t), 'db.snapshot');
  await source.db.exportSnapshot(path);

  const target = await openFileDb(t);
  await target.db.createCollection({ name: 'docs', dimension: 3, distance: 'ip', payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, other TEXT)' });
  await target.db.insertBatch('docs', [1, 2, 3, 501, 502].map((id) => ({ id, vector: [id, 1, 0] })));
  await target.db.close();
  const reopened = await VectorXLite.open(target.file);
  t.teardown(() => reopened.close());
  await reopened.importSnapshot(path);

  t.like(await reopened.collectionInfo('docs'), { dimension: 8, distance: 'cosine', count: 499 });
  t.deepEqual(await searchResults(reopened), expected);
  await rejectsWithCode(t, reopened.search({ collection: 'docs', vector: [1, 1, 0] }), 'DIMENSION_MISMATCH');
  t.is(await reopened.get('docs', 501), null, 'points only the old collection had are gone');
});

test('importing a missing file is NOT_FOUND and exporting onto a directory is IO_ERROR; both change nothing', async (t) => {
  const { db, file } = await openFileDb(t);
  await fill(db);
  const before = await captureState(db, file);
  const dir = await tempDir(t);
  await rejectsWithCode(t, db.importSnapshot(join(dir, 'missing.snapshot')), 'NOT_FOUND');
  await rejectsWithCode(t, db.exportSnapshot(dir), 'IO_ERROR');
  t.deepEqual(await captureState(db, file), before);
});
