import { join } from 'node:path';
import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import { openFileDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

test('close is idempotent', async (t) => {
  const { db } = await openFileDb(t);
  await db.close();
  await db.close();
  await t.notThrowsAsync(Promise.all([db.close(), db.close()]));
});

const calls: Array<[string, (db: VectorXLite, dir: string) => Promise<unknown>]> = [
  ['createCollection', (db) => db.createCollection({ name: 'fresh', dimension: 2 })],
  ['collectionExists', (db) => db.collectionExists('items')],
  ['listCollections', (db) => db.listCollections()],
  ['collectionInfo', (db) => db.collectionInfo('items')],
  ['insert', (db) => db.insert({ collection: 'items', id: 2, vector: [1, 0] })],
  ['insertBatch', (db) => db.insertBatch('items', [{ id: 2, vector: [1, 0] }])],
  ['search', (db) => db.search({ collection: 'items', vector: [1, 0] })],
  ['get', (db) => db.get('items', 1)],
  ['delete', (db) => db.delete({ collection: 'items', id: 1 })],
  ['deleteCollection', (db) => db.deleteCollection('items')],
  ['exportSnapshot', (db, dir) => db.exportSnapshot(join(dir, 'after-close.snapshot'))],
  ['importSnapshot', (db, dir) => db.importSnapshot(join(dir, 'before-close.snapshot'))],
  ['digest', (db) => db.digest()],
];

for (const [method, call] of calls) {
  test(`${method} after close rejects with CLOSED and changes nothing`, async (t) => {
    const { db, file } = await openFileDb(t);
    const dir = await tempDir(t);
    await db.createCollection({ name: 'items', dimension: 2 });
    await db.insert({ collection: 'items', id: 1, vector: [0, 1] });
    await db.exportSnapshot(join(dir, 'before-close.snapshot'));
    await db.close();

    await rejectsWithCode(t, call(db, dir), 'CLOSED');

    const reopened = await VectorXLite.open(file);
    t.teardown(() => reopened.close());
    t.deepEqual((await reopened.listCollections()).map((c) => [c.name, c.count]), [['items', 1]]);
    t.truthy(await reopened.get('items', 1));
  });
}

test('calls issued before close settle, and those that resolved are durable', async (t) => {
  const file = join(await tempDir(t), 'race.db');
  const db = await VectorXLite.open(file);
  t.teardown(() => db.close());
  await db.createCollection({ name: 'items', dimension: 2 });

  const inserts = Array.from({ length: 50 }, (_, id) => db.insert({ collection: 'items', id, vector: [1, id] }));
  const closing = db.close();
  const outcomes = await Promise.allSettled(inserts);
  await closing;
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') t.is((outcome.reason as { code?: string }).code, 'CLOSED');
  }

  const reopened = await VectorXLite.open(file);
  t.teardown(() => reopened.close());
  for (const [id, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') t.truthy(await reopened.get('items', id), `resolved insert ${id} is stored`);
  }
  t.is((await reopened.collectionInfo('items')).count, outcomes.filter((o) => o.status === 'fulfilled').length);
});

test('a closed file database can be reopened', async (t) => {
  const { db, file } = await openFileDb(t);
  await db.createCollection({ name: 'items', dimension: 2 });
  await db.close();
  const reopened = await VectorXLite.open(file);
  t.teardown(() => reopened.close());
  t.true(await reopened.collectionExists('items'));
});
