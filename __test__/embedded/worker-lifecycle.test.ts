/**
 * The per-database worker thread (crates/node/src/napi/worker.rs): calls run in call order on
 * it, close() is its last job, and neither an idle database nor a forgotten one keeps the
 * process alive or its thread running. Thread counts come from /proc, so those tests run on
 * Linux only.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import { native, vectorlitePath } from '../../src/embedded/native.js';
import { repoRoot } from '../helpers/child-process.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const linuxTest = process.platform === 'linux' ? test : test.skip;
/** A child that has not exited by then has hung; the test fails instead of waiting forever. */
const CHILD_TIMEOUT_MS = 120_000;

/** Runs `source` as an ES module in a fresh Node process from the repository root. */
async function runChild(dir: string, source: string, nodeArgs: string[] = []) {
  const script = join(dir, 'child.mts');
  const api = pathToFileURL(join(repoRoot, 'src/index.ts')).href;
  await writeFile(script, source.replaceAll('API', JSON.stringify(api)));
  return run(process.execPath, [...nodeArgs, '--import', 'tsx', script], { cwd: repoRoot, timeout: CHILD_TIMEOUT_MS });
}

/**
 * Counts this process's database worker threads (named by crates/node/src/database.rs). A
 * thread names itself once it runs and ends shortly after its last job, so the count is
 * polled until it is the expected one, 200 tries at most.
 */
const COUNT_WORKERS = `
import { readdirSync, readFileSync } from 'node:fs';
const workers = () => readdirSync('/proc/self/task').filter((id) => {
  try { return readFileSync('/proc/self/task/' + id + '/comm', 'utf8').trim() === 'vectorxlite-db'; } catch { return false; }
}).length;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function workersOnceAt(expected: number, step = () => {}): Promise<number> {
  for (let i = 0; i < 200 && workers() !== expected; i++) { step(); await pause(25); }
  return workers();
}
`;

test('unawaited calls on several databases at once run in call order on each', async (t) => {
  const vectors = randomVectors(150, 4, 31);
  const dbs = await Promise.all(Array.from({ length: 4 }, () => VectorXLite.open(':memory:')));
  t.teardown(() => Promise.all(dbs.map((db) => db.close())));
  await Promise.all(dbs.map((db) => db.createCollection({ name: 'c', dimension: 4, distance: 'l2' })));

  // Each search is called right after its insert, nothing awaited in between: it must see it.
  const searches = dbs.flatMap((db, d) =>
    vectors.map((vector, id) => {
      void db.insert({ collection: 'c', id: d * 1000 + id, vector });
      return db.search({ collection: 'c', vector, topK: 1 });
    }),
  );
  const hits = await Promise.all(searches);
  hits.forEach((found, i) => {
    const [d, id] = [Math.floor(i / vectors.length), i % vectors.length];
    t.deepEqual(found.map((hit) => [hit.id, hit.distance]), [[d * 1000 + id, 0]], `database ${d}, point ${id}`);
  });
  for (const db of dbs) t.is((await db.collectionInfo('c')).count, vectors.length);
});

test('close is the worker’s last job: calls queued before it resolve, calls after it reject with CLOSED', async (t) => {
  const addon = native();
  const file = join(await tempDir(t), 'queued.db');
  const handle = await addon.open(file, { vectorlitePath: vectorlitePath() });
  await addon.createCollection(handle, { name: 'c', dimension: 2, distance: 'l2' });

  const before = Array.from({ length: 50 }, (_, id) => addon.insert(handle, { collection: 'c', id, vector: new Float32Array([id, 1]) }));
  const closing = addon.close(handle);
  const after = Promise.allSettled([
    addon.insert(handle, { collection: 'c', id: 50, vector: new Float32Array([50, 1]) }),
    addon.collectionExists(handle, 'c'),
    addon.close(handle),
  ]);

  await Promise.all(before);
  await closing;
  // The addon rejects with plain Errors carrying the code; VectorXLite wraps them.
  t.deepEqual((await after).map((outcome) => outcome.status === 'rejected' && (outcome.reason as { code?: unknown }).code), ['CLOSED', 'CLOSED', 'CLOSED']);

  const reopened = await VectorXLite.open(file);
  t.teardown(() => reopened.close());
  t.is((await reopened.collectionInfo('c')).count, 50);
  t.is(await reopened.get('c', 50), null);
});

test('a process that never closes its databases exits once its pending calls have settled', async (t) => {
  const dir = await tempDir(t);
  const { stdout } = await runChild(
    dir,
    `import { VectorXLite } from API;
const idle = await VectorXLite.open(${JSON.stringify(join(dir, 'idle.db'))});
await idle.createCollection({ name: 'c', dimension: 2 });
const busy = await VectorXLite.open(':memory:');
await busy.createCollection({ name: 'c', dimension: 2 });
await busy.insertBatch('c', Array.from({ length: 20 }, (_, id) => ({ id, vector: [id, 1] })));
// Not awaited: the last thing the script does; the process must stay for its result.
void busy.search({ collection: 'c', vector: [3, 1], topK: 5 }).then((hits) => console.log('searched ' + hits.length));
`,
  );
  t.is(stdout.trim(), 'searched 5');
});

linuxTest('close() and garbage collection of a handle that was never closed end its worker thread and close its engine', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'forgotten.db');
  const { stdout } = await runChild(
    dir,
    `import { VectorXLite } from API;
${COUNT_WORKERS}
const file = ${JSON.stringify(file)};
async function openAndForget() {
  const db = await VectorXLite.open(file);
  await db.createCollection({ name: 'c', dimension: 2 });
  await db.insert({ collection: 'c', id: 1, vector: [1, 2] });
}
await openAndForget();
const open = await workersOnceAt(1);
const afterGc = await workersOnceAt(0, () => globalThis.gc!());
// The engine's lock on the file is gone only once the collected handle's engine has closed.
const again = await VectorXLite.open(file);
const reopened = await workersOnceAt(1);
const count = (await again.collectionInfo('c')).count;
await again.close();
const afterClose = await workersOnceAt(0);
console.log(JSON.stringify({ open, afterGc, reopened, count, afterClose }));
`,
    ['--expose-gc'],
  );
  t.deepEqual(JSON.parse(stdout.trim()), { open: 1, afterGc: 0, reopened: 1, count: 1, afterClose: 0 });
});
