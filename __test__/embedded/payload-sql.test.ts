// Payload SQL at the edges of its rules (docs/engine.md, "Payload SQL rules and limits"),
// through the public API: each shape either works or is refused with its code and changes nothing.
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import type { VectorXLite } from '../../src/index.js';
import type { ErrorCode } from '../../src/errors.js';
import { assertSameState, captureState, openFileDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';

const ok = [1, 0];

/** `items` (prices 10..60) and `labels`, two collections a payload query may read; `counters` uses AUTOINCREMENT. */
async function shop(t: ExecutionContext) {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2, payloadSchema: 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, name TEXT, price REAL)' });
  await db.createCollection({ name: 'labels', dimension: 2, payloadSchema: 'CREATE TABLE labels (rowid INTEGER PRIMARY KEY, label TEXT)' });
  await db.createCollection({ name: 'counters', dimension: 2, payloadSchema: 'CREATE TABLE counters (k INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)' });
  await db.insertBatch(
    'items',
    [1, 2, 3, 4, 5, 6].map((id) => ({ id, vector: [1, id], payloadInsertQuery: `INSERT INTO items (name, price) VALUES ('item ${id}', ${id * 10})` })),
  );
  await db.insert({ collection: 'labels', id: 1, vector: [0, 1], payloadInsertQuery: "INSERT INTO labels (label) VALUES ('item 2')" });
  await db.insert({ collection: 'counters', id: 1, vector: [0, 1], payloadInsertQuery: "INSERT INTO counters (name) VALUES ('first')" });
  return { db, file };
}

const filter = (payloadSearchQuery: string) => (db: VectorXLite) => db.search({ collection: 'items', vector: ok, topK: 10, payloadSearchQuery });
const insert = (payloadInsertQuery: string) => (db: VectorXLite) => db.insert({ collection: 'items', id: 50, vector: ok, payloadInsertQuery });
const sortedIds = (hits: { id: number }[]) => hits.map((h) => h.id).sort((a, b) => a - b);

type Case = [what: string, call: (db: VectorXLite) => Promise<unknown>, code: ErrorCode, explains: RegExp];

const aggregate = /aggregate/;
const collectionsOnly = /only read collection payload tables/;
const cases: Case[] = [
  ['a count(*) filter', filter('SELECT count(*) FROM items WHERE price > 30'), 'INVALID_ARGUMENT', aggregate],
  ['a max() filter', filter('SELECT max(price) AS top FROM items'), 'INVALID_ARGUMENT', aggregate],
  ['a GROUP BY filter', filter('SELECT name, count(*) FROM items GROUP BY name'), 'INVALID_ARGUMENT', aggregate],
  ['a GROUP BY filter without aggregates', filter('SELECT price FROM items GROUP BY price'), 'INVALID_ARGUMENT', aggregate],
  ['an aggregate filter with ORDER BY and LIMIT', filter('SELECT count(*) AS n FROM items ORDER BY n LIMIT 1'), 'INVALID_ARGUMENT', aggregate],
  ['an aggregate filter joining a collection', filter('SELECT group_concat(labels.label) FROM items JOIN labels ON labels.label = items.name'), 'INVALID_ARGUMENT', aggregate],
  ['a payload insert with RETURNING', insert("INSERT INTO items (name) VALUES ('r') RETURNING rowid"), 'INVALID_ARGUMENT', /RETURNING/],
  ['a payload insert with RETURNING *', insert("INSERT INTO items (name) SELECT label FROM labels RETURNING *"), 'INVALID_ARGUMENT', /RETURNING/],
  ['a filter reading sqlite_master', filter('SELECT items.name, m.sql FROM items, sqlite_master AS m'), 'FORBIDDEN_SQL', collectionsOnly],
  ['a filter reading sqlite_schema in a subquery', filter('SELECT name FROM items WHERE name IN (SELECT name FROM sqlite_schema)'), 'FORBIDDEN_SQL', collectionsOnly],
  ['a filter counting sqlite_master', filter('SELECT name FROM items WHERE (SELECT count(*) FROM sqlite_master) > 0'), 'FORBIDDEN_SQL', collectionsOnly],
  ['a filter reading sqlite_sequence', filter('SELECT items.name, s.seq FROM items, sqlite_sequence AS s'), 'FORBIDDEN_SQL', collectionsOnly],
  ['a filter reading pragma_table_info', filter("SELECT items.name, p.name AS col FROM items, pragma_table_info('items') AS p"), 'FORBIDDEN_SQL', collectionsOnly],
  ['a filter reading json_each', filter("SELECT name FROM items WHERE price IN (SELECT value FROM json_each('[10, 20]'))"), 'FORBIDDEN_SQL', collectionsOnly],
  ['a filter reading dbstat', filter('SELECT items.name, d.name AS t FROM items, dbstat AS d'), 'FORBIDDEN_SQL', collectionsOnly],
  ['a filter reading sqlite_master through a CTE', filter('WITH m AS (SELECT sql FROM sqlite_master) SELECT items.name, m.sql FROM items, m'), 'FORBIDDEN_SQL', collectionsOnly],
  ['a payload insert copying sqlite_master', insert('INSERT INTO items (name) SELECT sql FROM sqlite_master LIMIT 1'), 'FORBIDDEN_SQL', /reading only collection payload tables/],
  ['a payload insert writing sqlite_sequence', insert("INSERT INTO sqlite_sequence (name, seq) VALUES ('counters', 1)"), 'FORBIDDEN_SQL', /only INSERT one row into items/],
];

for (const [what, call, code, explains] of cases) {
  test(`${what} is ${code} and changes nothing`, async (t) => {
    const { db, file } = await shop(t);
    const before = await captureState(db, file);
    const error = await rejectsWithCode(t, call(db), code, what);
    t.regex(error?.message ?? '', explains);
    assertSameState(t, await captureState(db, file), before);
  });
}

test('aggregates inside subqueries and window functions still filter row by row', async (t) => {
  const { db } = await shop(t);
  t.deepEqual(sortedIds(await filter('SELECT * FROM items WHERE price > (SELECT avg(price) FROM items)')(db)), [4, 5, 6]);
  const windowed = await filter('SELECT name, count(*) OVER () AS n FROM items WHERE price <= 20')(db);
  t.deepEqual(sortedIds(windowed), [1, 2]);
  t.true(windowed.every((hit) => hit.payload.n === 2));
  const joined = await filter('SELECT items.name, labels.label FROM items JOIN labels ON labels.label = items.name')(db);
  t.deepEqual(joined.map((hit) => [hit.id, hit.payload]), [[2, { name: 'item 2', label: 'item 2' }]]);
});

test('CTEs work in payload inserts and filters', async (t) => {
  const { db } = await shop(t);
  await db.insert({ collection: 'items', id: 7, vector: [1, 7], payloadInsertQuery: "WITH v(x, y) AS (SELECT 'cte', 70) INSERT INTO items (name, price) SELECT x, y FROM v" });
  t.deepEqual((await db.get('items', 7))?.payload, { rowid: 7, name: 'cte', price: 70 });
  const recursive = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4) INSERT INTO items (name, price) SELECT 'sum', sum(i) FROM n";
  await db.insert({ collection: 'items', id: 8, vector: [1, 8], payloadInsertQuery: recursive });
  t.is((await db.get('items', 8))?.payload.price, 10);
  const cheap = 'WITH cheap AS (SELECT rowid AS k FROM items WHERE price <= 20) SELECT items.name FROM items JOIN cheap ON cheap.k = items.rowid';
  t.deepEqual(sortedIds(await filter(cheap)(db)), [1, 2, 8]);
});

test('an AUTOINCREMENT payload table keeps rowid = id and its sequence never runs out', async (t) => {
  const { db, file } = await shop(t);
  const add = (id: number, payloadInsertQuery?: string) => db.insert({ collection: 'counters', id, vector: [id, 1], payloadInsertQuery });
  await add(100, "INSERT INTO counters (name) VALUES ('a')");
  await add(5, "INSERT INTO counters (name) VALUES ('b')");
  await add(7);
  // The largest rowid SQLite has: an AUTOINCREMENT table that recorded it could take no further row.
  await add(-3, "INSERT INTO counters (k, name) VALUES (9223372036854775807, 'max')");
  await db.insertBatch('counters', [200, 201, 202].map((id) => ({ id, vector: [id, 2], payloadInsertQuery: "INSERT INTO counters (name) VALUES ('batch')" })));
  await add(2, "INSERT INTO counters (name) VALUES ('after')");

  const ids = [-3, 1, 2, 5, 7, 100, 200, 201, 202];
  for (const id of ids) t.is((await db.get('counters', id))?.payload.k, id, `point ${id} sits at rowid ${id}`);
  t.is((await db.get('counters', 2))?.payload.name, 'after');
  const reader = new Database(file, { readonly: true });
  try {
    t.deepEqual(reader.prepare('SELECT rowid FROM counters ORDER BY rowid').pluck().all(), ids);
    t.is(reader.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'counters'").pluck().get(), 202, 'the sequence follows the ids');
  } finally {
    reader.close();
  }
});
