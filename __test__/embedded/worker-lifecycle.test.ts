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
  const script = await writeModule(dir, 'child.mts', source);
  return run(process.execPath, [...nodeArgs, '--import', 'tsx', script], { cwd: repoRoot, timeout: CHILD_TIMEOUT_MS });
}

/** Writes `source` as a module in `dir`, with API standing for the package's entry point. */
async function writeModule(dir: string, name: string, source: string): Promise<string> {
  const file = join(dir, name);
  const api = pathToFileURL(join(repoRoot, 'src/index.ts')).href;
  await writeFile(file, source.replaceAll('API', JSON.stringify(api)));
  return file;
}

/**
 * Writes the entry module of a worker_threads thread that runs `body` (a .mts module): such
 * a thread does not take --import tsx (Node 20), so the entry registers tsx itself.
 */
function writeThreadEntry(dir: string, body: string): Promise<string> {
  return writeModule(
    dir,
    'thread.mjs',
    `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
register();
await import(${JSON.stringify(pathToFileURL(body).href)});
`,
  );
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

test('a process that never closes its databases exits once its pending calls have settled, its indexes persisted', async (t) => {
  const POINTS = 20_000;
  const dir = await tempDir(t);
  const file = join(dir, 'idle.db');
  const { stdout } = await runChild(
    dir,
    `import { VectorXLite } from API;
const POINTS = ${POINTS};
const idle = await VectorXLite.open(${JSON.stringify(file)});
await idle.createCollection({ name: 'c', dimension: 8 });
// Enough points that writing the index at exit takes a while: a close racing the exit loses.
for (let first = 0; first < POINTS; first += 1000) {
  await idle.insertBatch('c', Array.from({ length: 1000 }, (_, i) => ({ id: first + i, vector: Array.from({ length: 8 }, (_, d) => Math.sin(first + i + d)) })));
}
const busy = await VectorXLite.open(':memory:');
await busy.createCollection({ name: 'c', dimension: 2 });
await busy.insertBatch('c', Array.from({ length: 20 }, (_, id) => ({ id, vector: [id, 1] })));
// Not awaited: the last thing the script does; the process must stay for its result.
void busy.search({ collection: 'c', vector: [3, 1], topK: 5 }).then((hits) => console.log('searched ' + hits.length));
`,
  );
  t.is(stdout.trim(), 'searched 5');

  // As close() would have: the index was written at exit, so reopening rebuilds nothing.
  const rebuilds: string[] = [];
  const reopened = await VectorXLite.open(file, { onProgress: (progress) => rebuilds.push(progress.reason) });
  t.teardown(() => reopened.close());
  t.is((await reopened.collectionInfo('c')).count, POINTS);
  t.deepEqual(rebuilds, []);
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

linuxTest('a worker_threads thread that exits without closing its database ends the database’s thread and persists its index', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'in-thread.db');
  const body = await writeModule(
    dir,
    'thread-body.mts',
    `import { VectorXLite } from API;
const db = await VectorXLite.open(${JSON.stringify(file)});
await db.createCollection({ name: 'c', dimension: 2 });
await db.insertBatch('c', Array.from({ length: 20 }, (_, id) => ({ id, vector: [id, 1] })));
`,
  );
  const thread = await writeThreadEntry(dir, body);
  const { stdout } = await runChild(
    dir,
    `import { Worker } from 'node:worker_threads';
import { VectorXLite } from API;
${COUNT_WORKERS}
await new Promise((resolve, reject) => new Worker(${JSON.stringify(thread)}).on('error', reject).on('exit', resolve));
const afterExit = await workersOnceAt(0);
const rebuilds: string[] = [];
const db = await VectorXLite.open(${JSON.stringify(file)}, { onProgress: (progress) => rebuilds.push(progress.reason) });
const count = (await db.collectionInfo('c')).count;
await db.close();
console.log(JSON.stringify({ afterExit, count, rebuilds }));
`,
  );
  t.deepEqual(JSON.parse(stdout.trim()), { afterExit: 0, count: 20, rebuilds: [] });
});

linuxTest('a worker_threads thread terminated with calls in flight: its database thread finishes them and ends, the process goes on and exits cleanly', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'terminated.db');
  // Two large batches queued at once: the thread is terminated while the worker still runs
  // them, so the env cleanup hook does not wait and the threadsafe function is finalized
  // under a worker that posts afterwards (docs/addon.md, "Env teardown").
  const body = await writeModule(
    dir,
    'thread-body.mts',
    `import { parentPort } from 'node:worker_threads';
import { VectorXLite } from API;
const db = await VectorXLite.open(${JSON.stringify(file)});
await db.createCollection({ name: 'c', dimension: 32 });
const points = (from: number) => Array.from({ length: 10000 }, (_, i) => ({ id: from + i, vector: Array.from({ length: 32 }, (_, k) => Math.sin((from + i) * 7 + k)) }));
db.insertBatch('c', points(0)).catch(() => {});
db.insertBatch('c', points(10000)).catch(() => {});
parentPort!.postMessage('queued');
`,
  );
  const thread = await writeThreadEntry(dir, body);
  const { stdout } = await runChild(
    dir,
    `import { Worker } from 'node:worker_threads';
import { VectorXLite } from API;
${COUNT_WORKERS}
const worker = new Worker(${JSON.stringify(thread)});
await new Promise((resolve, reject) => worker.on('message', resolve).on('error', reject));
await worker.terminate();
const afterTerminate = await workersOnceAt(0);
const db = await VectorXLite.open(${JSON.stringify(file)});
const count = (await db.collectionInfo('c')).count;
await db.close();
console.log(JSON.stringify({ afterTerminate, count }));
`,
  );
  t.deepEqual(JSON.parse(stdout.trim()), { afterTerminate: 0, count: 20000 });
});
