/**
 * Engine follow-ups reported by other parts of the project: each test failed before its fix.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import { repoRoot } from '../helpers/child-process.js';
import { openFileDb, openMemoryDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';

const run = promisify(execFile);

test('an onProgress that throws is ignored: no DEP0168 warning, the operations and later reports go on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vxl-progress-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const script = join(dir, 'child.mts');
  const api = pathToFileURL(join(repoRoot, 'src/index.ts')).href;
  // maxElements 1 makes every second insert grow the index, which reports progress.
  await writeFile(
    script,
    `import { VectorXLite } from ${JSON.stringify(api)};
let calls = 0;
const db = await VectorXLite.open(':memory:', { onProgress: () => { calls++; throw new Error('progress listener failed'); } });
await db.createCollection({ name: 'c', dimension: 2, maxElements: 1 });
for (let id = 0; id < 5; id++) await db.insert({ collection: 'c', id, vector: [id, 1] });
const hits = await db.search({ collection: 'c', vector: [4, 1], topK: 5 });
await db.close();
console.log(JSON.stringify({ calls, ids: hits.map((h) => h.id).sort() }));
`,
  );
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot });
  const result = JSON.parse(stdout.trim()) as { calls: number; ids: number[] };
  t.true(result.calls >= 2, `onProgress was called ${result.calls} times`);
  t.deepEqual(result.ids, [0, 1, 2, 3, 4]);
  t.false(stderr.includes('DEP0168'), stderr);
  t.false(stderr.includes('progress listener failed'), stderr);
});

test('an ef or maxElements beyond what vectorlite can take is INVALID_ARGUMENT naming the range', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'items', dimension: 2 });
  await db.insert({ collection: 'items', id: 1, vector: [1, 0] });
  const ef = await rejectsWithCode(t, db.search({ collection: 'items', vector: [1, 0], ef: 4294967295 }), 'INVALID_ARGUMENT');
  t.regex(ef!.message, /between 1 and 1000000/);
  const max = await rejectsWithCode(t, db.createCollection({ name: 'huge', dimension: 128, maxElements: 4294967295 }), 'INVALID_ARGUMENT');
  t.regex(max!.message, /maxElements must be between 1 and 12201611/);
  await rejectsWithCode(t, db.createCollection({ name: 'huge', dimension: 2, hnsw: { efConstruction: 4294967295 } }), 'INVALID_ARGUMENT');
  await rejectsWithCode(t, VectorXLite.open(':memory:', { defaultEf: 4294967295 }), 'INVALID_ARGUMENT');
  t.false(await db.collectionExists('huge'));
});

test('a payload schema with a UNIQUE column beside the INTEGER PRIMARY KEY is accepted', async (t) => {
  const { db } = await openMemoryDb(t);
  await db.createCollection({ name: 'docs', dimension: 2, payloadSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, label TEXT, tag TEXT UNIQUE)' });
  await db.insert({ collection: 'docs', id: 5, vector: [1, 0], payloadInsertQuery: "INSERT INTO docs (label, tag) VALUES ('a', 'x')" });
  await rejectsWithCode(t, db.insert({ collection: 'docs', id: 6, vector: [0, 1], payloadInsertQuery: "INSERT INTO docs (label, tag) VALUES ('b', 'x')" }), 'SQL_ERROR');
  const [hit] = await db.search({ collection: 'docs', vector: [1, 0], topK: 1, payloadSearchQuery: 'SELECT label, tag FROM docs' });
  t.deepEqual(hit, { id: 5, distance: hit!.distance, payload: { label: 'a', tag: 'x' } });
  await rejectsWithCode(
    t,
    db.createCollection({ name: 'desc', dimension: 2, payloadSchema: 'CREATE TABLE desc (k INTEGER PRIMARY KEY DESC, tag TEXT UNIQUE)' }),
    'INVALID_ARGUMENT',
  );
});

test('digest() is equal for the same writes however the index grew, and sees payload types', async (t) => {
  const { db: grown } = await openFileDb(t);
  const { db: sized } = await openMemoryDb(t);
  const schema = 'CREATE TABLE items (rowid INTEGER PRIMARY KEY, n)';
  await grown.createCollection({ name: 'items', dimension: 2, maxElements: 64, payloadSchema: schema });
  await sized.createCollection({ name: 'items', dimension: 2, maxElements: 64, payloadSchema: schema });
  const points = Array.from({ length: 200 }, (_, id) => ({ id, vector: [id, 1], payloadInsertQuery: `INSERT INTO items (n) VALUES (${id})` }));
  for (const point of points) await grown.insert({ collection: 'items', ...point });
  await sized.insertBatch('items', points);
  const digest = await grown.digest();
  t.regex(digest, /^[0-9a-f]{64}$/);
  t.is(await sized.digest(), digest);

  await grown.delete({ collection: 'items', id: 7 });
  await grown.insert({ collection: 'items', id: 7, vector: [7, 1], payloadInsertQuery: 'INSERT INTO items (n) VALUES (7.0)' });
  t.not(await grown.digest(), digest, 'REAL 7.0 is not INTEGER 7');

  await sized.close();
  await rejectsWithCode(t, sized.digest(), 'CLOSED');
});
