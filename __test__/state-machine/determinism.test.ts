import test from 'ava';
import { validateCommand } from '../../cluster/commands/validate.js';
import type { Command } from '../../cluster/commands/types.js';
import { VectorXLiteError } from '../../src/errors.js';
import { openMemoryDb } from '../helpers/embedded.js';
import { applyAll, LogBuilder, openEngineSm } from './workload.js';

const SCHEMA = 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, label TEXT, n REAL)';

function insert(query: string): Command {
  return { type: 'insert', clientId: 'c', seq: 1, collection: 'docs', point: { id: 1, vector: new Float32Array([1, 2, 3]), payloadInsertQuery: query } };
}

function create(schema: string, name = 'docs'): Command {
  return { type: 'createCollection', clientId: 'c', seq: 1, collection: { name, dimension: 3, distance: 'l2', payloadSchema: schema } };
}

const value = (expression: string) => `INSERT INTO docs (label) VALUES (${expression})`;

/** Every payload insert form the determinism rule refuses (docs/state-machine.md). */
const FORBIDDEN_INSERTS = [
  value('random()'),
  value('randomblob(8)'),
  value('hex(randomblob(4))'),
  value('abs(random()) % 10'),
  value("datetime('now')"),
  value("date('now')"),
  value("time('now')"),
  value("julianday('now')"),
  value("unixepoch('now')"),
  value("strftime('%s', 'now')"),
  value("timediff('now', '2020-01-01')"),
  value("datetime('NOW')"),
  value("datetime(' now ')"),
  value('date()'),
  value('unixepoch()'),
  value("strftime('%Y')"),
  value("datetime('2024-01-01', 'localtime')"),
  value("datetime('2024-01-01 10:00', 'utc')"),
  value('datetime(label)'),
  value('date("now")'),
  value("date('n' || 'ow')"),
  value('date((SELECT label FROM docs))'),
  value('CURRENT_TIMESTAMP'),
  value('current_date'),
  value('Current_Time'),
  value('last_insert_rowid()'),
  value('changes()'),
  value('total_changes()'),
  value('sqlite_version()'),
  value('sqlite_source_id()'),
  value('sqlite_compileoption_get(0)'),
  value("sqlite_compileoption_used('THREADSAFE')"),
  value("load_extension('x')"),
  value('RANDOM ()'),
  value('random/* hidden */()'),
  value('random\n(\n)'),
  value('"random"()'),
  value('[random]()'),
  value('`random`()'),
  value('(SELECT random())'),
  "INSERT INTO docs (label) SELECT datetime('now')",
  "INSERT INTO docs (label, n) VALUES ('x', 1) ON CONFLICT DO UPDATE SET n = random()",
];

const FORBIDDEN_SCHEMAS = [
  'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, created TEXT DEFAULT CURRENT_TIMESTAMP)',
  'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, created TEXT DEFAULT CURRENT_DATE)',
  'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, created TEXT DEFAULT current_time)',
  "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, created TEXT DEFAULT (datetime('now')))",
  "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, created INTEGER DEFAULT (unixepoch()))",
  'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, token BLOB DEFAULT (randomblob(16)))',
  'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, n INTEGER DEFAULT (random()))',
  'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, n INTEGER CHECK (random() <> 0))',
  "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, local TEXT DEFAULT (datetime('2024-01-01', 'localtime')))",
];

/** Deterministic SQL that mentions the same words, which the rule must let through. */
const ALLOWED_INSERTS = [
  value("'random()'"),
  `-- random() and datetime('now') in a comment\n${value("'x'")}`,
  value("/* CURRENT_TIMESTAMP */ 'x'"),
  value("'CURRENT_TIMESTAMP'"),
  value("date('2024-01-01')"),
  value("datetime('2024-01-01 10:00:00', '+1 day', 'start of month')"),
  value("strftime('%Y-%m', '2024-03-09')"),
  value("datetime(1700000000, 'unixepoch')"),
  value("julianday('2024-01-01') - julianday(-1.5)"),
  value("'now'"),
  value("upper('now')"),
  "INSERT INTO docs (label, n) VALUES ('a', abs(-2.5))",
];

test('validateCommand refuses every non-deterministic payload insert with FORBIDDEN_SQL', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'docs', dimension: 3, distance: 'l2', payloadSchema: SCHEMA });
  for (const sql of FORBIDDEN_INSERTS) {
    const error = await t.throwsAsync(validateCommand(insert(sql), db), { instanceOf: VectorXLiteError, code: 'FORBIDDEN_SQL' }, sql);
    if (error) t.regex(error.message, /not deterministic: .+literal values/, sql);
  }
  const batch: Command = { type: 'insertBatch', clientId: 'c', seq: 1, collection: 'docs', points: [
    { id: 1, vector: new Float32Array([1, 2, 3]), payloadInsertQuery: value("'fine'") },
    { id: 2, vector: new Float32Array([1, 2, 3]), payloadInsertQuery: value('random()') },
  ] };
  const error = await t.throwsAsync(validateCommand(batch, db), { code: 'FORBIDDEN_SQL' });
  t.regex(error?.message ?? '', /points\[1\]\.payloadInsertQuery/);
});

test('validateCommand refuses non-deterministic payload schemas (defaults, checks) with FORBIDDEN_SQL', async (t) => {
  const { db } = await openMemoryDb(t);
  for (const schema of FORBIDDEN_SCHEMAS) {
    await t.throwsAsync(validateCommand(create(schema), db), { instanceOf: VectorXLiteError, code: 'FORBIDDEN_SQL' }, schema);
  }
});

test('deterministic SQL using the same words is accepted, and the engine runs it', async (t) => {
  const sm = await openEngineSm(t);
  const log = new LogBuilder();
  const collections: Array<[string, string, string]> = [
    ['docs', 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, label TEXT, n REAL, random REAL, changes TEXT, "current_timestamp" TEXT)', "INSERT INTO docs (random, changes, \"current_timestamp\") VALUES (1, 'x', 'y')"],
    ['random', "CREATE TABLE random (rowid INTEGER PRIMARY KEY, created TEXT DEFAULT 'now')", 'INSERT INTO random DEFAULT VALUES'],
    ['changes', 'CREATE TABLE changes(rowid INTEGER PRIMARY KEY, label TEXT)', 'INSERT INTO changes(label) VALUES (1)'],
  ];
  const commands: Command[] = [];
  let seq = 0;
  for (const [name, schema, sql] of collections) {
    commands.push(create(schema, name));
    commands.push({ type: 'insert', clientId: 'c', seq: 0, collection: name, point: { id: 1000, vector: new Float32Array(3), payloadInsertQuery: sql } });
  }
  for (const [i, sql] of ALLOWED_INSERTS.entries()) {
    commands.push({ type: 'insert', clientId: 'c', seq: 0, collection: 'docs', point: { id: i + 1, vector: new Float32Array([1, 2, i]), payloadInsertQuery: sql } });
  }
  for (const command of commands) {
    const numbered = { ...command, seq: ++seq };
    const sql = command.type === 'insert' ? command.point.payloadInsertQuery : command.type === 'createCollection' ? command.collection.payloadSchema : '';
    // Validation runs against the leader's applied data, so each command is applied before the next is validated.
    await t.notThrowsAsync(validateCommand(numbered, sm.engine), sql);
    t.deepEqual(await sm.apply(log.encoded(numbered)), { ok: true }, sql);
  }
  t.is((await sm.engine.get('docs', 5))?.payload.label, '2024-01-01');
  t.is((await sm.engine.get('random', 1000))?.payload.created, 'now', "DEFAULT 'now' stores the text");
});

test('the state machine refuses forbidden SQL at apply as well, on every replica alike', async (t) => {
  const log = new LogBuilder();
  log.command('c', { type: 'createCollection', collection: { name: 'docs', dimension: 3, distance: 'l2', payloadSchema: SCHEMA } });
  for (const sql of FORBIDDEN_INSERTS) log.command('c', { type: 'insert', collection: 'docs', point: { id: 1, vector: new Float32Array([1, 2, 3]), payloadInsertQuery: sql } });
  for (const schema of FORBIDDEN_SCHEMAS) log.command('c', { type: 'createCollection', collection: { name: 'docs2', dimension: 3, distance: 'l2', payloadSchema: schema.replace('docs', 'docs2') } });
  const a = await openEngineSm(t);
  const b = await openEngineSm(t);
  const resultsA = await applyAll(a, log.entries);
  t.deepEqual(resultsA, await applyAll(b, log.entries));
  t.deepEqual(resultsA.slice(1).map((r) => (r.ok ? 'ok' : r.code)), [...FORBIDDEN_INSERTS, ...FORBIDDEN_SCHEMAS].map(() => 'FORBIDDEN_SQL'));
  t.is((await a.engine.collectionInfo('docs')).count, 0);
  t.is(await a.digest(), await b.digest());
});

test('validateCommand checks names, numbers and vectors, and the leader\'s data', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'docs', dimension: 3, distance: 'l2' });
  const point = { id: 1, vector: new Float32Array([1, 2, 3]) };
  const cases: Array<[string, Command, string]> = [
    ['empty clientId', { type: 'delete', clientId: '', seq: 1, collection: 'docs', id: 1 }, 'INVALID_ARGUMENT'],
    ['seq 0', { type: 'delete', clientId: 'c', seq: 0, collection: 'docs', id: 1 }, 'INVALID_ARGUMENT'],
    ['bad name', { type: 'insert', clientId: 'c', seq: 1, collection: 'no spaces', point }, 'INVALID_ARGUMENT'],
    ['NaN component', { type: 'insert', clientId: 'c', seq: 1, collection: 'docs', point: { id: 1, vector: new Float32Array([1, NaN, 3]) } }, 'INVALID_ARGUMENT'],
    ['infinite component', { type: 'insertBatch', clientId: 'c', seq: 1, collection: 'docs', points: [point, { id: 2, vector: new Float32Array([Infinity, 0, 0]) }] }, 'INVALID_ARGUMENT'],
    ['empty vector', { type: 'insert', clientId: 'c', seq: 1, collection: 'docs', point: { id: 1, vector: new Float32Array() } }, 'INVALID_ARGUMENT'],
    ['unsafe id', { type: 'delete', clientId: 'c', seq: 1, collection: 'docs', id: 2 ** 60 }, 'INVALID_ARGUMENT'],
    ['zero dimension', { type: 'createCollection', clientId: 'c', seq: 1, collection: { name: 'x', dimension: 0, distance: 'l2' } }, 'INVALID_ARGUMENT'],
    ['unknown collection', { type: 'insert', clientId: 'c', seq: 1, collection: 'nowhere', point }, 'NOT_FOUND'],
    ['delete from unknown collection', { type: 'delete', clientId: 'c', seq: 1, collection: 'nowhere', id: 1 }, 'NOT_FOUND'],
    ['drop unknown collection', { type: 'deleteCollection', clientId: 'c', seq: 1, collection: 'nowhere' }, 'NOT_FOUND'],
    ['wrong dimension', { type: 'insert', clientId: 'c', seq: 1, collection: 'docs', point: { id: 1, vector: new Float32Array([1, 2]) } }, 'DIMENSION_MISMATCH'],
    ['wrong dimension in a batch', { type: 'insertBatch', clientId: 'c', seq: 1, collection: 'docs', points: [point, { id: 2, vector: new Float32Array(4) }] }, 'DIMENSION_MISMATCH'],
    ['existing collection', { type: 'createCollection', clientId: 'c', seq: 1, collection: { name: 'docs', dimension: 3, distance: 'l2' } }, 'ALREADY_EXISTS'],
  ];
  for (const [label, command, code] of cases) {
    const error = await t.throwsAsync(validateCommand(command, db), { instanceOf: VectorXLiteError }, label);
    t.is((error as VectorXLiteError | undefined)?.code, code, label);
  }
  await t.notThrowsAsync(validateCommand({ type: 'insert', clientId: 'c', seq: 1, collection: 'docs', point }, db));
  await t.notThrowsAsync(validateCommand({ type: 'delete', clientId: 'c', seq: 1, collection: 'docs', id: 99 }, db));
});
