import { join } from 'node:path';
import test from 'ava';
import { VectorXLite } from '../../src/index.js';
import { openFileDb, openMemoryDb } from '../helpers/embedded.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

// `n` has no declared type, so SQLite keeps INTEGER 1 and REAL 1.0 apart.
const SCHEMA = 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, n, title TEXT)';
const vectors = randomVectors(300, 8, 12);

/** The same writes every time: two collections, payloads, a delete. */
async function write(db: VectorXLite, batchSize: number) {
  await db.createCollection({ name: 'docs', dimension: 8, payloadSchema: SCHEMA, maxElements: 64 });
  await db.createCollection({ name: 'bare', dimension: 8, distance: 'l2' });
  for (let start = 0; start < vectors.length; start += batchSize) {
    await db.insertBatch(
      'docs',
      vectors.slice(start, start + batchSize).map((vector, i) => ({ id: start + i, vector, payloadInsertQuery: `INSERT INTO docs (n, title) VALUES (${start + i}, 'doc ${start + i}')` })),
    );
  }
  await db.insert({ collection: 'bare', id: 7, vector: vectors[7]! });
  await db.delete({ collection: 'docs', id: 3 });
}

test('databases that applied the same writes have the same digest, however the inserts were batched', async (t) => {
  const { db: a } = await openMemoryDb(t);
  const { db: b } = await openFileDb(t);
  await write(a, 300);
  await write(b, 7);
  const digest = await a.digest();
  t.regex(digest, /^[0-9a-f]{64}$/);
  t.is(await b.digest(), digest);
});

test('the digest changes with every kind of write and comes back when the write is undone', async (t) => {
  const { db } = await openMemoryDb(t);
  await write(db, 50);
  const base = await db.digest();
  const seen = new Set([base]);
  const expectNew = async (label: string) => {
    const digest = await db.digest();
    t.false(seen.has(digest), `${label} changes the digest`);
    seen.add(digest);
  };

  await db.insert({ collection: 'docs', id: 1000, vector: vectors[0]!, payloadInsertQuery: "INSERT INTO docs (n, title) VALUES (1, 'x')" });
  await expectNew('an insert');
  await db.delete({ collection: 'docs', id: 1000 });
  t.is(await db.digest(), base, 'deleting it again restores the digest');

  await db.insert({ collection: 'docs', id: 1000, vector: vectors[0]!, payloadInsertQuery: "INSERT INTO docs (n, title) VALUES (1.0, 'x')" });
  await expectNew('the same point with REAL 1.0 instead of INTEGER 1');
  await db.delete({ collection: 'docs', id: 1000 });
  await db.insert({ collection: 'docs', id: 1000, vector: vectors[1]!, payloadInsertQuery: "INSERT INTO docs (n, title) VALUES (1.0, 'x')" });
  await expectNew('the same point with another vector');
  await db.delete({ collection: 'docs', id: 1000 });

  await db.createCollection({ name: 'empty', dimension: 3 });
  await expectNew('a new empty collection');
  await db.deleteCollection('empty');
  t.is(await db.digest(), base);
});

test('the digest survives close and reopen, index rebuilds and a snapshot round trip', async (t) => {
  const { db, file } = await openFileDb(t);
  await write(db, 100);
  const digest = await db.digest();
  const snapshot = join(await tempDir(t), 'digest.snapshot');
  await db.exportSnapshot(snapshot);
  await db.close();

  const reopened = await VectorXLite.open(file);
  t.teardown(() => reopened.close());
  t.is(await reopened.digest(), digest, 'after reopen');

  const { db: copy } = await openMemoryDb(t);
  await copy.createCollection({ name: 'other', dimension: 2 });
  await copy.importSnapshot(snapshot);
  t.is(await copy.digest(), digest, 'after import');
});
