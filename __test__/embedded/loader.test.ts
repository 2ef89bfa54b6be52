import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import test from 'ava';
import { VectorXLite, VectorXLiteError, type IndexProgress } from '../../src/index.js';
import {
  SUPPORTED_PLATFORMS,
  addonFileName,
  currentTarget,
  loadAddon,
  native,
  packageRoot,
  platformTarget,
  vectorlitePath,
  type NativeHandle,
} from '../../src/embedded/native.js';

const unsupported: Array<[string, string, boolean]> = [
  ['freebsd', 'x64', false],
  ['linux', 'arm64', false],
  ['win32', 'ia32', false],
  ['linux', 'x64', true],
];

for (const [platform, arch, musl] of unsupported) {
  const name = `${platform}-${arch}${musl ? '-musl' : ''}`;
  test(`an unsupported platform (${name}) is named with the supported ones`, (t) => {
    const error = t.throws(() => platformTarget(platform, arch, musl), { instanceOf: VectorXLiteError });
    t.is(error?.code, 'FAILED_PRECONDITION');
    t.true(error?.message.includes(name), error?.message);
    for (const supported of SUPPORTED_PLATFORMS) t.true(error?.message.includes(supported), `${supported} listed`);
  });
}

test('supported platforms map to their napi-rs target names', (t) => {
  t.is(platformTarget('linux', 'x64'), 'linux-x64-gnu');
  t.is(platformTarget('darwin', 'x64'), 'darwin-x64');
  t.is(platformTarget('darwin', 'arm64'), 'darwin-arm64');
  t.is(platformTarget('win32', 'x64'), 'win32-x64-msvc');
});

test('the addon loads and exports every database function', (t) => {
  const addon = native();
  for (const name of ['open', 'createCollection', 'insert', 'insertBatch', 'search', 'get', 'delete', 'close']) {
    t.is(typeof (addon as unknown as Record<string, unknown>)[name], 'function', name);
  }
});

test('a missing addon says which files were looked for and how to build one', async (t) => {
  const emptyRoot = await mkdtemp(join(tmpdir(), 'vxl-loader-'));
  t.teardown(() => rm(emptyRoot, { recursive: true, force: true }));
  const error = t.throws(() => loadAddon(currentTarget(), emptyRoot), { instanceOf: VectorXLiteError });
  t.is(error?.code, 'FAILED_PRECONDITION');
  t.regex(error?.message ?? '', /vectorxlite-linux-x64-gnu|vectorxlite-darwin|vectorxlite-win32/);
  t.true(error?.message.includes('npm run build:native'), error?.message);
});

test('the vectorlite extension resolves from npm to a file on disk', (t) => {
  const path = vectorlitePath();
  const suffix = { linux: '.so', darwin: '.dylib', win32: '.dll' }[process.platform as string] ?? '';
  t.true(existsSync(path + suffix), `${path}${suffix} exists`);
});

test('the addon rejects an object it did not create as a handle, without crashing', (t) => {
  const error = t.throws(() => native().close({} as NativeHandle));
  t.is((error as { code?: string } | undefined)?.code, 'INVALID_ARGUMENT');
});

test('open rejects an empty path with INVALID_ARGUMENT', async (t) => {
  await t.throwsAsync(VectorXLite.open(''), { instanceOf: VectorXLiteError, code: 'INVALID_ARGUMENT' });
});

test('smoke: open in memory, create, insert, search, close, then CLOSED', async (t) => {
  const db = await VectorXLite.open(':memory:');
  await db.createCollection({ name: 'docs', dimension: 3, distance: 'l2' });
  await db.insert({ collection: 'docs', id: 1, vector: [1, 0, 0] });
  await db.insert({ collection: 'docs', id: 2, vector: new Float32Array([0, 1, 0]) });
  const hits = await db.search({ collection: 'docs', vector: [0.9, 0.1, 0], topK: 2 });
  t.deepEqual(
    hits.map((h) => h.id),
    [1, 2],
  );
  t.true(Math.abs(hits[0]!.distance - 0.02) < 1e-5, `squared L2 distance, got ${hits[0]!.distance}`);
  const point = await db.get('docs', 2);
  t.true(point?.vector instanceof Float32Array);
  t.deepEqual(Array.from(point!.vector), [0, 1, 0]);

  await db.close();
  await db.close();
  await t.throwsAsync(db.search({ collection: 'docs', vector: [1, 0, 0] }), { instanceOf: VectorXLiteError, code: 'CLOSED' });
  await t.throwsAsync(db.insert({ collection: 'docs', id: 3, vector: [1, 0, 0] }), { instanceOf: VectorXLiteError, code: 'CLOSED' });
});

test('operations run in call order, with vectors captured when called', async (t) => {
  const db = await VectorXLite.open(':memory:');
  t.teardown(() => db.close());
  await db.createCollection({ name: 'seq', dimension: 2, distance: 'l2' });
  const scratch = new Float32Array(2);
  const inserts: Array<Promise<void>> = [];
  for (let id = 1; id <= 50; id++) {
    scratch.set([id, -id]);
    inserts.push(db.insert({ collection: 'seq', id, vector: scratch }));
  }
  // Not awaited first: the queue still runs it after every insert above.
  const info = db.collectionInfo('seq');
  await Promise.all(inserts);
  t.is((await info).count, 50);
  t.deepEqual(Array.from((await db.get('seq', 7))!.vector), [7, -7]);
});

test('progress reported during an operation reaches onProgress before the operation resolves', async (t) => {
  const progress: IndexProgress[] = [];
  const db = await VectorXLite.open(':memory:', { onProgress: (p) => progress.push(p) });
  t.teardown(() => db.close());
  await db.createCollection({ name: 'small', dimension: 2, maxElements: 4 });
  await db.insertBatch(
    'small',
    Array.from({ length: 20 }, (_, i) => ({ id: i + 1, vector: [i + 1, 1] })),
  );
  const grows = progress.filter((p) => p.collection === 'small' && p.reason === 'grow');
  t.true(grows.length > 0, 'the growth was reported by the time insertBatch resolved');
  // The last event is sent just before the work ends; it must not trail the resolution.
  const last = grows.at(-1)!;
  t.is(last.done, last.total, 'the final progress event arrived before insertBatch resolved');
});

test('an INTEGER beyond 2^53 crosses as the nearest double, as docs/addon.md says', async (t) => {
  const db = await VectorXLite.open(':memory:');
  t.teardown(() => db.close());
  await db.createCollection({ name: 'big', dimension: 1, payloadSchema: 'CREATE TABLE big (rowid INTEGER PRIMARY KEY, n INTEGER, s TEXT)' });
  await db.insert({
    collection: 'big',
    id: 1,
    vector: [1],
    payloadInsertQuery: "INSERT INTO big (n, s) VALUES (9007199254740993, '9007199254740993')",
  });
  const { payload } = (await db.get('big', 1))!;
  t.is(payload.n, 9007199254740992);
  t.is(payload.s, '9007199254740993', 'TEXT keeps every digit');
});

test('the addon works in a worker thread, which exits cleanly with its database still open', async (t) => {
  // Plain JS in the worker: it loads the same .node file the main thread uses.
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const addon = require(workerData.addon);
     (async () => {
       const h = await addon.open(':memory:', { vectorlitePath: workerData.vectorlite, onProgress: () => {} });
       await addon.createCollection(h, { name: 'w', dimension: 2, distance: 'l2' });
       await addon.insert(h, { collection: 'w', id: 7, vector: new Float32Array([1, 2]) });
       const hits = await addon.search(h, { collection: 'w', vector: new Float32Array([1, 2]), topK: 1 });
       parentPort.postMessage(hits[0].id);
     })().catch((e) => parentPort.postMessage(String(e)));`,
    { eval: true, workerData: { addon: join(packageRoot(), addonFileName(currentTarget())), vectorlite: vectorlitePath() } },
  );
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.is(message, 7);
  // The open database (and its onProgress function) neither keeps the worker alive nor
  // breaks its teardown, which finalizes both.
  t.is(await exited, 0);

  const db = await VectorXLite.open(':memory:');
  t.teardown(() => db.close());
  t.false(await db.collectionExists('w'), 'the main thread still works, with its own databases');
});
