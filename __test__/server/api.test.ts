import test from 'ava';
import { VectorXLiteError, type ErrorCode } from '../../src/errors.js';
import { bruteForceTopK } from '../helpers/brute-force.js';
import { randomVectors } from '../helpers/random.js';
import { serverWithClient } from './helpers/client.js';

test('collection lifecycle: create, exists, list, info, delete, recreate', async (t) => {
  const { client } = await serverWithClient(t);
  t.false(await client.collectionExists('docs'));
  await client.createCollection({ name: 'docs', dimension: 4, distance: 'l2' });
  await client.createCollection({ name: 'alpha', dimension: 2 });
  t.true(await client.collectionExists('docs'));
  t.deepEqual(
    (await client.listCollections()).map((c) => [c.name, c.dimension, c.distance, c.count]),
    [['alpha', 2, 'cosine', 0], ['docs', 4, 'l2', 0]],
  );
  await client.insert({ collection: 'docs', id: 1, vector: [1, 0, 0, 0] });
  t.like(await client.collectionInfo('docs'), { name: 'docs', dimension: 4, distance: 'l2', count: 1 });
  await client.deleteCollection('docs');
  t.false(await client.collectionExists('docs'));
  await client.createCollection({ name: 'docs', dimension: 3 });
  t.like(await client.collectionInfo('docs'), { dimension: 3, count: 0 });
});

test('insert, insertBatch, get, search nearest first as brute force, delete', async (t) => {
  const { client } = await serverWithClient(t);
  await client.createCollection({ name: 'v', dimension: 8, distance: 'cosine' });
  const vectors = randomVectors(200, 8, 7);
  await client.insert({ collection: 'v', id: 0, vector: vectors[0] });
  await client.insertBatch('v', vectors.slice(1).map((vector, i) => ({ id: i + 1, vector: Array.from(vector) })));
  t.is((await client.collectionInfo('v')).count, 200);
  const point = await client.get('v', 17);
  t.truthy(point);
  t.true(point?.vector instanceof Float32Array);
  t.deepEqual(Array.from(point?.vector ?? []), Array.from(vectors[17]));
  t.is(await client.get('v', 9999), null);

  const query = vectors[42];
  const results = await client.search({ collection: 'v', vector: query, topK: 5 });
  const truth = bruteForceTopK('cosine', vectors.map((vector, id) => ({ id, vector })), query, 5);
  t.deepEqual(results.map((r) => r.id), truth.map((n) => n.id));
  for (const [i, r] of results.entries()) t.true(Math.abs(r.distance - truth[i].distance) < 1e-4);
  t.is((await client.search({ collection: 'v', vector: query })).length, 10, 'topK defaults to 10');

  t.true(await client.delete({ collection: 'v', id: 42 }));
  t.false(await client.delete({ collection: 'v', id: 42 }));
  t.false((await client.search({ collection: 'v', vector: query, topK: 5 })).some((r) => r.id === 42));
  t.is(await client.get('v', 42), null);
});

test('payloads keep their types; filtered search and JOIN work over the wire', async (t) => {
  const { client } = await serverWithClient(t);
  await client.createCollection({
    name: 'products',
    dimension: 2,
    distance: 'l2',
    payloadSchema: 'CREATE TABLE products (rowid INTEGER PRIMARY KEY, name TEXT, price REAL, stock INTEGER, note TEXT, raw BLOB, brand_id INTEGER)',
  });
  await client.createCollection({ name: 'brands', dimension: 2, payloadSchema: 'CREATE TABLE brands (rowid INTEGER PRIMARY KEY, label TEXT)' });
  await client.insert({ collection: 'brands', id: 1, vector: [1, 1], payloadInsertQuery: "INSERT INTO brands (label) VALUES ('Acme')" });
  await client.insert({ collection: 'brands', id: 2, vector: [1, 2], payloadInsertQuery: "INSERT INTO brands (label) VALUES ('Globex')" });
  const rows: Array<[number, string, number, number]> = [
    [1, 'apple', 100, 1], [2, 'pear, green', 200, 2], [3, 'plum', 120, 1], [4, 'fig', 300, 2],
  ];
  for (const [id, name, price, brand] of rows) {
    await client.insert({
      collection: 'products',
      id,
      vector: [id, 0],
      payloadInsertQuery: `INSERT INTO products (name, price, stock, note, raw, brand_id) VALUES ('${name}', ${price}.5, ${id * 10}, NULL, x'0102', ${brand})`,
    });
  }
  const all = await client.search({ collection: 'products', vector: [0, 0], topK: 10, payloadSearchQuery: 'SELECT * FROM products' });
  t.deepEqual(all.map((r) => r.id), [1, 2, 3, 4]);
  t.like(all[1].payload, { name: 'pear, green', price: 200.5, stock: 20, note: null });
  t.deepEqual(all[1].payload.raw, Buffer.from([1, 2]));

  const cheap = await client.search({ collection: 'products', vector: [4, 0], topK: 10, payloadSearchQuery: 'SELECT name FROM products WHERE price < 150' });
  t.deepEqual(cheap.map((r) => r.id), [3, 1]);
  t.deepEqual(cheap[0].payload, { name: 'plum' });

  const joined = await client.search({
    collection: 'products',
    vector: [0, 0],
    topK: 2,
    payloadSearchQuery: "SELECT products.name, brands.label FROM products JOIN brands ON brands.rowid = products.brand_id WHERE brands.label = 'Globex'",
  });
  t.deepEqual(joined.map((r) => r.id), [2, 4]);
  t.deepEqual(joined[0].payload, { name: 'pear, green', label: 'Globex' });

  const got = await client.get('products', 3);
  t.like(got?.payload, { name: 'plum', stock: 30 });
});

test('insertBatch is atomic over the wire: one bad point leaves none behind', async (t) => {
  const { client } = await serverWithClient(t);
  await client.createCollection({ name: 'b', dimension: 3 });
  await client.insert({ collection: 'b', id: 5, vector: [1, 2, 3] });
  const duplicate = await t.throwsAsync(
    client.insertBatch('b', [{ id: 1, vector: [1, 0, 0] }, { id: 5, vector: [0, 1, 0] }]),
    { instanceOf: VectorXLiteError },
  );
  t.is(duplicate?.code, 'ALREADY_EXISTS');
  const wrongDim = await t.throwsAsync(client.insertBatch('b', [{ id: 2, vector: [1, 0, 0] }, { id: 3, vector: [1] }]), { instanceOf: VectorXLiteError });
  t.is(wrongDim?.code, 'DIMENSION_MISMATCH');
  t.is((await client.collectionInfo('b')).count, 1);
  t.is(await client.get('b', 1), null);
});

test('every bad input gets its code over the wire and the server keeps serving', async (t) => {
  const { client } = await serverWithClient(t);
  await client.createCollection({ name: 'ok', dimension: 3, payloadSchema: 'CREATE TABLE ok (rowid INTEGER PRIMARY KEY, name TEXT)' });
  await client.createCollection({ name: 'other', dimension: 3 });
  await client.insert({ collection: 'ok', id: 1, vector: [1, 2, 3] });
  const cases: Array<[string, () => Promise<unknown>, ErrorCode]> = [
    ['wrong dimension', () => client.insert({ collection: 'ok', id: 2, vector: [1, 2] }), 'DIMENSION_MISMATCH'],
    ['NaN component', () => client.insert({ collection: 'ok', id: 2, vector: [1, Number.NaN, 3] }), 'INVALID_ARGUMENT'],
    ['Infinity component', () => client.search({ collection: 'ok', vector: [1, Number.POSITIVE_INFINITY, 3] }), 'INVALID_ARGUMENT'],
    ['empty vector', () => client.insert({ collection: 'ok', id: 2, vector: [] }), 'INVALID_ARGUMENT'],
    ['unknown collection', () => client.search({ collection: 'nope', vector: [1, 2, 3] }), 'NOT_FOUND'],
    ['invalid name', () => client.createCollection({ name: '1bad-name', dimension: 3 }), 'INVALID_ARGUMENT'],
    ['existing collection', () => client.createCollection({ name: 'ok', dimension: 3 }), 'ALREADY_EXISTS'],
    ['duplicate id', () => client.insert({ collection: 'ok', id: 1, vector: [1, 2, 3] }), 'ALREADY_EXISTS'],
    ['unparsable SQL', () => client.insert({ collection: 'ok', id: 2, vector: [1, 2, 3], payloadInsertQuery: 'INSERT INTO ok (name VALUES' }), 'SQL_ERROR'],
    ['two statements', () => client.insert({ collection: 'ok', id: 2, vector: [1, 2, 3], payloadInsertQuery: "INSERT INTO ok (name) VALUES ('a'); DROP TABLE other" }), 'FORBIDDEN_SQL'],
    ['insert into another table', () => client.insert({ collection: 'ok', id: 2, vector: [1, 2, 3], payloadInsertQuery: 'INSERT INTO other (rowid) VALUES (7)' }), 'FORBIDDEN_SQL'],
    ['search query that writes', () => client.search({ collection: 'ok', vector: [1, 2, 3], payloadSearchQuery: 'DELETE FROM ok' }), 'FORBIDDEN_SQL'],
    ['unknown distance', () => client.createCollection({ name: 'd', dimension: 3, distance: 'hamming' as 'l2' }), 'INVALID_ARGUMENT'],
    ['zero dimension', () => client.createCollection({ name: 'z', dimension: 0 }), 'INVALID_ARGUMENT'],
  ];
  for (const [name, call, code] of cases) {
    const err = await t.throwsAsync(call(), { instanceOf: VectorXLiteError }, name);
    t.is(err?.code, code, `${name}: ${err?.message}`);
    t.true((err?.message ?? '').length > 0, name);
  }
  t.is((await client.collectionInfo('ok')).count, 1);
  t.true(await client.collectionExists('other'));
  t.deepEqual((await client.search({ collection: 'ok', vector: [1, 2, 3] })).map((r) => r.id), [1]);
});

test('client calls after close reject with CLOSED', async (t) => {
  const { client } = await serverWithClient(t);
  await client.close();
  await client.close();
  for (const call of [() => client.collectionExists('x'), () => client.listCollections(), () => client.search({ collection: 'x', vector: [1] })]) {
    const err = await t.throwsAsync(call(), { instanceOf: VectorXLiteError });
    t.is(err?.code, 'CLOSED');
  }
});
