import test from 'ava';
import type { VectorXLite } from '../../src/index.js';
import { VectorXLiteError, type ErrorCode } from '../../src/errors.js';
import { assertSameState, captureState, openFileDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';
import { randomVectors } from '../helpers/random.js';

const DIMENSION = 4;
const ok = [0.1, 0.2, 0.3, 0.4];

type Case = [what: string, call: (db: VectorXLite) => Promise<unknown>, code: ErrorCode];

const insert = (id: number, vector: number[] | Float32Array, payloadInsertQuery?: string) => (db: VectorXLite) =>
  db.insert({ collection: 'items', id, vector, payloadInsertQuery });
const search = (vector: number[] | Float32Array, more: { topK?: number; payloadSearchQuery?: string } = {}) => (db: VectorXLite) =>
  db.search({ collection: 'items', vector, ...more });
// Values a typed caller cannot pass but a JavaScript caller can.
const untyped = (value: unknown) => value as number;

const cases: Case[] = [
  ['insert with too few components', insert(100, [1, 2, 3]), 'DIMENSION_MISMATCH'],
  ['insert with too many components', insert(100, new Float32Array(5)), 'DIMENSION_MISMATCH'],
  ['search with the wrong dimension', search([1, 2, 3, 4, 5]), 'DIMENSION_MISMATCH'],
  ['insert with NaN', insert(100, [1, Number.NaN, 3, 4]), 'INVALID_ARGUMENT'],
  ['insert with Infinity', insert(100, [1, 2, Number.POSITIVE_INFINITY, 4]), 'INVALID_ARGUMENT'],
  ['insert with -Infinity in a Float32Array', insert(100, new Float32Array([1, 2, 3, Number.NEGATIVE_INFINITY])), 'INVALID_ARGUMENT'],
  ['search with NaN', search([Number.NaN, 0, 0, 0]), 'INVALID_ARGUMENT'],
  ['search with Infinity', search(new Float32Array([0, Number.POSITIVE_INFINITY, 0, 0])), 'INVALID_ARGUMENT'],
  ['insert with an empty vector', insert(100, []), 'INVALID_ARGUMENT'],
  ['insert with a string component', insert(100, [1, 2, untyped('3'), 4]), 'INVALID_ARGUMENT'],
  ['insert with a vector that is not an array', insert(100, untyped('1,2,3,4') as never), 'INVALID_ARGUMENT'],
  ['insert with a Float64Array', insert(100, untyped(new Float64Array(4)) as never), 'INVALID_ARGUMENT'],
  ['insert with a component beyond float32 range', insert(100, [1, 2, 3, 1e39]), 'INVALID_ARGUMENT'],
  ['insert with an empty Float32Array', insert(100, new Float32Array(0)), 'INVALID_ARGUMENT'],
  ['search with an empty vector', search([]), 'INVALID_ARGUMENT'],
  ['topK 0', search(ok, { topK: 0 }), 'INVALID_ARGUMENT'],
  ['topK -1', search(ok, { topK: -1 }), 'INVALID_ARGUMENT'],
  ['topK 2.5', search(ok, { topK: 2.5 }), 'INVALID_ARGUMENT'],
  ['topK NaN', search(ok, { topK: Number.NaN }), 'INVALID_ARGUMENT'],

  ['insert into an unknown collection', (db) => db.insert({ collection: 'missing', id: 100, vector: ok }), 'NOT_FOUND'],
  ['search in an unknown collection', (db) => db.search({ collection: 'missing', vector: ok }), 'NOT_FOUND'],
  ['get from an unknown collection', (db) => db.get('missing', 1), 'NOT_FOUND'],
  ['delete from an unknown collection', (db) => db.delete({ collection: 'missing', id: 1 }), 'NOT_FOUND'],
  ['info of an unknown collection', (db) => db.collectionInfo('missing'), 'NOT_FOUND'],
  ['deleting an unknown collection', (db) => db.deleteCollection('missing'), 'NOT_FOUND'],

  ...['', '1abc', 'a-b', 'a b', 'items; DROP TABLE other', '"quoted"', 'sqlite_reserved'].map(
    (name): Case => [`collection name ${JSON.stringify(name)}`, (db) => db.createCollection({ name, dimension: 2 }), 'INVALID_ARGUMENT'],
  ),
  ...[0, -3, 2.5, Number.NaN].map((dimension): Case => [`dimension ${dimension}`, (db) => db.createCollection({ name: 'fresh', dimension }), 'INVALID_ARGUMENT']),
  ['a maxElements too large to allocate', (db) => db.createCollection({ name: 'fresh', dimension: 128, maxElements: 2 ** 32 - 1 }), 'INVALID_ARGUMENT'],
  ['hnsw.m 1000', (db) => db.createCollection({ name: 'fresh', dimension: 2, hnsw: { m: 1000 } }), 'INVALID_ARGUMENT'],
  ['hnsw.efConstruction 0', (db) => db.createCollection({ name: 'fresh', dimension: 2, hnsw: { efConstruction: 0 } }), 'INVALID_ARGUMENT'],
  ['search ef 0', (db) => db.search({ collection: 'items', vector: ok, ef: 0 }), 'INVALID_ARGUMENT'],
  ['search ef 10,000,000', (db) => db.search({ collection: 'items', vector: ok, ef: 10_000_000 }), 'INVALID_ARGUMENT'],
  ['an unknown distance', (db) => db.createCollection({ name: 'fresh', dimension: 2, distance: untyped('hamming') as never }), 'INVALID_ARGUMENT'],
  ['a payload schema that does not parse', (db) => db.createCollection({ name: 'fresh', dimension: 2, payloadSchema: 'CREATE TABLE fresh (' }), 'SQL_ERROR'],
  [
    'a payload schema with a second statement',
    (db) => db.createCollection({ name: 'fresh', dimension: 2, payloadSchema: 'CREATE TABLE fresh (a); DROP TABLE other' }),
    'FORBIDDEN_SQL',
  ],

  ...(
    [
      ['without a rowid alias', 'CREATE TABLE fresh (name TEXT)', 'INVALID_ARGUMENT'],
      ['WITHOUT ROWID', 'CREATE TABLE fresh (k TEXT PRIMARY KEY) WITHOUT ROWID', 'INVALID_ARGUMENT'],
      ['for another table', 'CREATE TABLE elsewhere (rowid INTEGER PRIMARY KEY)', 'FORBIDDEN_SQL'],
      ['for a TEMP table', 'CREATE TEMP TABLE fresh (rowid INTEGER PRIMARY KEY)', 'FORBIDDEN_SQL'],
      ['creating a view', 'CREATE VIEW fresh AS SELECT 1 AS rowid', 'FORBIDDEN_SQL'],
      ['that drops a table', 'DROP TABLE other', 'FORBIDDEN_SQL'],
    ] as const
  ).map(([what, payloadSchema, code]): Case => [`a payload schema ${what}`, (db) => db.createCollection({ name: 'fresh', dimension: 2, payloadSchema }), code]),
  ['a payload insert that does not parse', insert(100, ok, 'INSERT INTO items (name) VALUE (1)'), 'SQL_ERROR'],
  ['a payload insert naming a missing column', insert(100, ok, "INSERT INTO items (nope) VALUES ('x')"), 'SQL_ERROR'],
  ['a payload insert with a second statement', insert(100, ok, "INSERT INTO items (name) VALUES ('x'); DROP TABLE other"), 'FORBIDDEN_SQL'],
  ['a payload insert writing another table', insert(100, ok, "INSERT INTO other (label) VALUES ('x')"), 'FORBIDDEN_SQL'],
  ['a payload insert adding two rows', insert(100, ok, "INSERT INTO items (name) VALUES ('a'), ('b')"), 'INVALID_ARGUMENT'],
  ['a payload insert adding no row', insert(100, ok, "INSERT INTO items (name) SELECT 'x' WHERE 0"), 'INVALID_ARGUMENT'],
  ['a payload REPLACE over another point', insert(100, ok, "REPLACE INTO items (rowid, name) VALUES (1, 'stolen')"), 'FORBIDDEN_SQL'],
  ['a payload insert that deletes', insert(100, ok, 'DELETE FROM items'), 'FORBIDDEN_SQL'],
  ['a payload insert that updates', insert(100, ok, "UPDATE items SET name = 'x'"), 'FORBIDDEN_SQL'],
  ['a payload insert that drops a table', insert(100, ok, 'DROP TABLE other'), 'FORBIDDEN_SQL'],
  ['a payload search that does not parse', search(ok, { payloadSearchQuery: 'SELECT * FROM items WHERE' }), 'SQL_ERROR'],
  ['a payload search with a second statement', search(ok, { payloadSearchQuery: 'SELECT * FROM items; DROP TABLE other' }), 'FORBIDDEN_SQL'],
  ['a payload search that deletes', search(ok, { payloadSearchQuery: 'DELETE FROM items RETURNING *' }), 'FORBIDDEN_SQL'],
  ['a payload search that inserts', search(ok, { payloadSearchQuery: "INSERT INTO other (label) VALUES ('x') RETURNING *" }), 'FORBIDDEN_SQL'],
  ['a payload search that updates', search(ok, { payloadSearchQuery: "UPDATE items SET name = 'x' RETURNING *" }), 'FORBIDDEN_SQL'],
  ['a payload search that drops a table', search(ok, { payloadSearchQuery: 'DROP TABLE other' }), 'FORBIDDEN_SQL'],
  ['a payload search that sets a pragma', search(ok, { payloadSearchQuery: 'PRAGMA user_version = 7' }), 'FORBIDDEN_SQL'],

  ...[1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 53), untyped('5'), untyped(5n), untyped(null)].map(
    (id): Case => [`insert with id ${typeof id === 'number' ? String(id) : `${typeof id} ${String(id)}`}`, insert(id, ok), 'INVALID_ARGUMENT'],
  ),
  ['insertBatch with id 2^53', (db) => db.insertBatch('items', [{ id: 2 ** 53, vector: ok }]), 'INVALID_ARGUMENT'],
  ['get with id 1.5', (db) => db.get('items', 1.5), 'INVALID_ARGUMENT'],
  ['get with id 2^53', (db) => db.get('items', 2 ** 53), 'INVALID_ARGUMENT'],
  ['delete with id NaN', (db) => db.delete({ collection: 'items', id: Number.NaN }), 'INVALID_ARGUMENT'],
  ['delete with id -(2^53)', (db) => db.delete({ collection: 'items', id: -(2 ** 53) }), 'INVALID_ARGUMENT'],
];

for (const [what, call, code] of cases) {
  test(`${what} is ${code} and changes nothing`, async (t) => {
    const { db, file } = await openFileDb(t);
    await db.createCollection({ name: 'items', dimension: DIMENSION, payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT)' });
    await db.createCollection({ name: 'other', dimension: 2, payloadSchema: 'CREATE TABLE other (rowid INTEGER PRIMARY KEY, label TEXT)' });
    await db.insertBatch('items', randomVectors(20, DIMENSION, 3).map((vector, i) => ({ id: i + 1, vector, payloadInsertQuery: `INSERT INTO items (name) VALUES ('n${i}')` })));
    await db.insert({ collection: 'other', id: 1, vector: [1, 0], payloadInsertQuery: "INSERT INTO other (label) VALUES ('keep')" });
    const before = await captureState(db, file);

    await rejectsWithCode(t, call(db), code, what);
    assertSameState(t, await captureState(db, file), before);
  });
}

test('a failed createCollection leaves the other collections\' search results bit-identical', async (t) => {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: DIMENSION });
  await db.insertBatch('items', randomVectors(50, DIMENSION, 3).map((vector, id) => ({ id, vector })));
  const before = await captureState(db, file);
  await rejectsWithCode(t, db.createCollection({ name: 'fresh', dimension: 2, payloadSchema: 'CREATE TABLE fresh (' }), 'SQL_ERROR');
  t.deepEqual((await captureState(db, file)).points, before.points);
});

test('payload SQL cannot load extensions', async (t) => {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: DIMENSION, payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT)' });
  await db.insert({ collection: 'items', id: 1, vector: ok });
  const before = await captureState(db, file);
  const attempts = [
    db.search({ collection: 'items', vector: ok, payloadSearchQuery: "SELECT load_extension('/nonexistent/evil.so') AS x FROM items" }),
    db.insert({ collection: 'items', id: 2, vector: ok, payloadInsertQuery: "INSERT INTO items (name) VALUES (load_extension('/nonexistent/evil.so'))" }),
  ];
  for (const attempt of attempts) {
    const error = await t.throwsAsync(attempt, { instanceOf: VectorXLiteError });
    t.true(['FORBIDDEN_SQL', 'SQL_ERROR'].includes(error!.code), `${error?.code}: ${error?.message}`);
    t.notRegex(error!.message, /cannot open shared object|No such file/, 'the library was never looked for');
  }
  assertSameState(t, await captureState(db, file), before);
});

test('payload SQL cannot read the engine\'s own tables', async (t) => {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: DIMENSION, payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT)' });
  await db.insert({ collection: 'items', id: 1, vector: ok });
  const before = await captureState(db, file);
  const internal = Object.keys(before.tables!).filter((name) => name !== 'items');
  t.true(internal.length > 0, 'the engine keeps tables of its own');
  for (const table of internal) {
    await rejectsWithCode(t, db.search({ collection: 'items', vector: ok, payloadSearchQuery: `SELECT items.name, x.* FROM items, "${table}" AS x` }), 'FORBIDDEN_SQL', `search reading ${table}`);
    await rejectsWithCode(t, db.insert({ collection: 'items', id: 2, vector: ok, payloadInsertQuery: `INSERT INTO items (name) SELECT count(*) FROM "${table}"` }), 'FORBIDDEN_SQL', `insert reading ${table}`);
  }
  assertSameState(t, await captureState(db, file), before);
});
