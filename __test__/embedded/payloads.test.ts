import test from 'ava';
import { openFileDb } from '../helpers/embedded.js';

const SCHEMA = 'CREATE TABLE typed (rowid INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, n TEXT, b BLOB)';
const INSERT = "INSERT INTO typed (i, r, s, n, b) VALUES (-42, 2.5, 'it''s, (quoted); text', NULL, x'00ff10')";
const EXPECTED = { i: -42, r: 2.5, s: "it's, (quoted); text", n: null, b: Buffer.from([0x00, 0xff, 0x10]) };

test('payload values keep their SQLite types in get and search', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'typed', dimension: 2, payloadSchema: SCHEMA });
  await db.insert({ collection: 'typed', id: 5, vector: [1, 1], payloadInsertQuery: INSERT });

  const point = await db.get('typed', 5);
  t.like(point!.payload, { i: -42, r: 2.5, s: EXPECTED.s, n: null });
  t.true(Buffer.isBuffer(point!.payload.b), 'a BLOB is a Buffer');
  t.deepEqual(point!.payload.b, EXPECTED.b);

  const [hit] = await db.search({ collection: 'typed', vector: [1, 1], payloadSearchQuery: 'SELECT i, r, s, n, b FROM typed' });
  t.deepEqual(hit!.payload, EXPECTED);
  t.true(Buffer.isBuffer(hit!.payload.b));
});

test('the row lands at the point id even when the INSERT names another rowid', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'typed', dimension: 2, payloadSchema: SCHEMA });
  await db.insert({ collection: 'typed', id: 5, vector: [1, 1], payloadInsertQuery: "INSERT INTO typed (rowid, s) VALUES (999, 'moved')" });
  t.like((await db.get('typed', 5))!.payload, { s: 'moved' });
  t.is(await db.get('typed', 999), null);
  t.is((await db.collectionInfo('typed')).count, 1);
});

test('an omitted payload query stores a row of defaults', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'defaults', dimension: 2, payloadSchema: "CREATE TABLE defaults (rowid INTEGER PRIMARY KEY, tag TEXT DEFAULT 'none', n INTEGER)" });
  await db.insert({ collection: 'defaults', id: 3, vector: [0, 1] });
  t.like((await db.get('defaults', 3))!.payload, { tag: 'none', n: null });
  const [hit] = await db.search({ collection: 'defaults', vector: [0, 1], payloadSearchQuery: "SELECT tag FROM defaults WHERE tag = 'none'" });
  t.deepEqual(hit, { id: 3, distance: 0, payload: { tag: 'none' } });
});

test('a collection without payloadSchema takes points with and without DEFAULT VALUES', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'bare', dimension: 2 });
  await db.insert({ collection: 'bare', id: 1, vector: [1, 0] });
  await db.insert({ collection: 'bare', id: 2, vector: [0, 1], payloadInsertQuery: 'INSERT INTO bare DEFAULT VALUES' });
  t.is((await db.collectionInfo('bare')).count, 2);
  t.deepEqual((await db.search({ collection: 'bare', vector: [1, 0] })).map((h) => h.id), [1, 2]);
});

test('integers up to the safe limit and large reals survive as numbers', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'typed', dimension: 2, payloadSchema: SCHEMA });
  await db.insert({
    collection: 'typed',
    id: Number.MAX_SAFE_INTEGER,
    vector: [1, 1],
    payloadInsertQuery: `INSERT INTO typed (i, r) VALUES (${Number.MIN_SAFE_INTEGER}, 1.5e300)`,
  });
  const point = await db.get('typed', Number.MAX_SAFE_INTEGER);
  t.is(point!.id, Number.MAX_SAFE_INTEGER);
  t.like(point!.payload, { i: Number.MIN_SAFE_INTEGER, r: 1.5e300 });
});

test('a UNIQUE column rejects a duplicate value with SQL_ERROR and stores nothing', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'users', dimension: 2, payloadSchema: 'CREATE TABLE users (rowid INTEGER PRIMARY KEY, email TEXT UNIQUE)' });
  await db.insert({ collection: 'users', id: 1, vector: [1, 0], payloadInsertQuery: "INSERT INTO users (email) VALUES ('a@example.com')" });
  await t.throwsAsync(db.insert({ collection: 'users', id: 2, vector: [0, 1], payloadInsertQuery: "INSERT INTO users (email) VALUES ('a@example.com')" }), { code: 'SQL_ERROR' });
  t.is(await db.get('users', 2), null);
  t.deepEqual((await db.search({ collection: 'users', vector: [0, 1] })).map((h) => h.id), [1]);
});

test('an INSERT OR REPLACE that would overwrite another point is FORBIDDEN_SQL and keeps that point', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'users', dimension: 2, payloadSchema: 'CREATE TABLE users (rowid INTEGER PRIMARY KEY, email TEXT UNIQUE)' });
  await db.insert({ collection: 'users', id: 1, vector: [1, 0], payloadInsertQuery: "INSERT INTO users (email) VALUES ('a@example.com')" });
  await t.throwsAsync(
    db.insert({ collection: 'users', id: 2, vector: [0, 1], payloadInsertQuery: "INSERT OR REPLACE INTO users (email) VALUES ('a@example.com')" }),
    { code: 'FORBIDDEN_SQL' },
  );
  t.like((await db.get('users', 1))!.payload, { email: 'a@example.com' });
  t.is(await db.get('users', 2), null);
  t.is((await db.collectionInfo('users')).count, 1);
});

test('a rowid alias under another name holds the point id', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'named', dimension: 2, payloadSchema: 'CREATE TABLE named (id INTEGER PRIMARY KEY, name TEXT)' });
  await db.insertBatch('named', [
    { id: 10, vector: [1, 0], payloadInsertQuery: "INSERT INTO named (name) VALUES ('ten')" },
    { id: 20, vector: [1, 0.2], payloadInsertQuery: "INSERT INTO named (name) VALUES ('twenty')" },
  ]);
  t.like((await db.get('named', 20))!.payload, { id: 20, name: 'twenty' });
  const hits = await db.search({ collection: 'named', vector: [1, 0], payloadSearchQuery: 'SELECT id, name FROM named WHERE id > 15' });
  t.deepEqual(hits.map((h) => [h.id, h.payload]), [[20, { id: 20, name: 'twenty' }]]);
});

test('unicode text and large text and blob values round-trip', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'big', dimension: 2, payloadSchema: 'CREATE TABLE big (rowid INTEGER PRIMARY KEY, s TEXT, b BLOB)' });
  const text = 'héllo wörld — 你好 🌍 '.repeat(50_000);
  await db.insert({ collection: 'big', id: 1, vector: [1, 0], payloadInsertQuery: `INSERT INTO big (s, b) VALUES ('${text}', randomblob(1000000))` });
  const point = await db.get('big', 1);
  t.is(point!.payload.s, text);
  t.is((point!.payload.b as Buffer).length, 1_000_000);
  const [hit] = await db.search({ collection: 'big', vector: [1, 0], payloadSearchQuery: 'SELECT s, b FROM big' });
  t.is(hit!.payload.s, text);
  t.deepEqual(hit!.payload.b, point!.payload.b);
});
