import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { VectorXLite, VectorXLiteError } from '../../src/index.js';
import type { OpenOptions } from '../../src/embedded/types.js';
import { bruteForceTopK, recall } from '../helpers/brute-force.js';
import { spawnNodeScript } from '../helpers/child-process.js';
import { rejectsWithCode } from '../helpers/errors.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';
import { crashVector } from '../fixtures/crash-data.js';

test('open creates a missing database file', async (t) => {
  const file = join(await tempDir(t), 'new.db');
  const db = await VectorXLite.open(file);
  t.teardown(() => db.close());
  t.deepEqual(await db.listCollections(), []);
});

test('opening inside a missing directory is IO_ERROR', async (t) => {
  await rejectsWithCode(t, VectorXLite.open(join(await tempDir(t), 'no', 'such', 'dir', 'x.db')), 'IO_ERROR');
});

const badOptions: Array<[string, unknown]> = [
  ['defaultEf 0', { defaultEf: 0 }],
  ['defaultEf -1', { defaultEf: -1 }],
  ['defaultEf 2.5', { defaultEf: 2.5 }],
  ['defaultEf 1e9', { defaultEf: 1e9 }],
  ['onProgress that is not a function', { onProgress: 'log' }],
  ['durable that is not a boolean', { durable: 'no' }],
  ['options that are not an object', 42],
];
for (const [what, options] of badOptions) {
  test(`open with ${what} is INVALID_ARGUMENT`, async (t) => {
    await rejectsWithCode(t, VectorXLite.open(':memory:', options as OpenOptions), 'INVALID_ARGUMENT');
  });
}

test('durable: false opens a database whose writes read back, and survives a reopen', async (t) => {
  const file = join(await tempDir(t), 'state.db');
  const db = await VectorXLite.open(file, { durable: false });
  await db.createCollection({ name: 'c', dimension: 2 });
  await db.insert({ collection: 'c', id: 1, vector: [1, 0] });
  await db.close();
  const again = await VectorXLite.open(file);
  t.teardown(() => again.close());
  t.is((await again.search({ collection: 'c', vector: [1, 0], topK: 1 }))[0]?.id, 1);
});

test('open with an empty path is INVALID_ARGUMENT', async (t) => {
  await rejectsWithCode(t, VectorXLite.open(''), 'INVALID_ARGUMENT');
});

test('a file that is not a database is refused, and left as it was', async (t) => {
  const file = join(await tempDir(t), 'notes.txt');
  const text = 'not a database, just some notes\n'.repeat(200);
  await writeFile(file, text);
  await rejectsWithCode(t, VectorXLite.open(file), 'IO_ERROR');
  t.is(await readFile(file, 'utf8'), text);
});

test('defaultEf set at open is used by searches without ef, and a search ef overrides it', async (t) => {
  const db = await VectorXLite.open(':memory:', { defaultEf: 10 });
  t.teardown(() => db.close());
  await db.createCollection({ name: 'c', dimension: 32 });
  const points = randomVectors(3000, 32, 17).map((vector, id) => ({ id, vector }));
  await db.insertBatch('c', points);

  const meanRecall = async (ef?: number) => {
    let total = 0;
    const queries = randomVectors(20, 32, 18);
    for (const query of queries) {
      const hits = await db.search({ collection: 'c', vector: query, topK: 10, ef });
      total += recall(hits.map((h) => h.id), bruteForceTopK('cosine', points, query, 10).map((n) => n.id));
    }
    return total / queries.length;
  };
  const narrow = await meanRecall();
  const wide = await meanRecall(400);
  t.log(`recall@10 at defaultEf 10: ${narrow.toFixed(3)}, at ef 400: ${wide.toFixed(3)}`);
  t.true(wide >= 0.95);
  t.true(narrow < wide, 'the narrow default finds fewer true neighbours');
});

test('a second open of the same file in one process is refused while the first is open', async (t) => {
  const file = join(await tempDir(t), 'shared.db');
  const first = await VectorXLite.open(file);
  t.teardown(() => first.close());
  await first.createCollection({ name: 'c', dimension: 2 });
  await first.insert({ collection: 'c', id: 1, vector: [1, 0] });

  await rejectsWithCode(t, VectorXLite.open(file), 'INVALID_ARGUMENT');
  t.deepEqual((await first.search({ collection: 'c', vector: [1, 0] })).map((h) => h.id), [1], 'the first handle is unaffected');
  await first.close();
  const again = await VectorXLite.open(file);
  t.teardown(() => again.close());
  t.true(await again.collectionExists('c'), 'after close the file can be opened again');
});

test('a database held open by another process is refused, or its new points are found', async (t) => {
  const file = join(await tempDir(t), 'held.db');
  const holder = spawnNodeScript(t, '__test__/fixtures/hold-open.ts', [file, 'crashy']);
  await holder.waitForLine((line) => line === 'ready');

  let db: VectorXLite;
  try {
    db = await VectorXLite.open(file);
  } catch (error) {
    t.true(error instanceof VectorXLiteError, 'refused with a VectorXLiteError');
    t.not((error as VectorXLiteError).code, 'INTERNAL', 'a refusal is an expected condition with a stable code');
    return;
  }
  t.teardown(() => db.close());
  holder.writeLine('insert 11');
  await holder.waitForLine((line) => line === 'ack 11');
  const [hit] = await db.search({ collection: 'crashy', vector: crashVector(11), topK: 1 });
  t.is(hit?.id, 11, 'a point the other process inserted after this open is found');
});

test('opening a directory is IO_ERROR', async (t) => {
  await rejectsWithCode(t, VectorXLite.open(await tempDir(t)), 'IO_ERROR');
});
