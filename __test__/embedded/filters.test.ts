import test, { type ExecutionContext } from 'ava';
import { bruteForceTopK } from '../helpers/brute-force.js';
import { openFileDb } from '../helpers/embedded.js';
import { randomVectors, seededRandom } from '../helpers/random.js';

const DIMENSION = 8;
const COUNT = 400;
const CATEGORIES = ['tools', 'books', 'food', 'toys'];
// ef >= collection size: HNSW is exhaustive, so filtered results must equal brute force exactly.
const EXACT_EF = COUNT;

interface Product {
  id: number;
  vector: Float32Array;
  name: string;
  price: number;
  categoryId: number;
}

/** A products collection whose rows join a categories collection through category_id. */
async function productsDb(t: ExecutionContext) {
  const { db } = await openFileDb(t);
  await db.createCollection({
    name: 'products',
    dimension: DIMENSION,
    payloadSchema: 'CREATE TABLE products (rowid INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL, category_id INTEGER NOT NULL)',
  });
  await db.createCollection({
    name: 'categories',
    dimension: 2,
    payloadSchema: 'CREATE TABLE categories (rowid INTEGER PRIMARY KEY, label TEXT NOT NULL)',
  });
  await db.insertBatch(
    'categories',
    CATEGORIES.map((label, i) => ({ id: i + 1, vector: [1, i], payloadInsertQuery: `INSERT INTO categories (label) VALUES ('${label}')` })),
  );

  const random = seededRandom(99);
  const products: Product[] = randomVectors(COUNT, DIMENSION, 5).map((vector, i) => ({
    id: 1000 + i,
    vector,
    name: `product ${i}`,
    price: Math.round(random() * 30_000) / 100,
    categoryId: 1 + (i % CATEGORIES.length),
  }));
  await db.insertBatch(
    'products',
    products.map((p) => ({
      id: p.id,
      vector: p.vector,
      payloadInsertQuery: `INSERT INTO products (name, price, category_id) VALUES ('${p.name}', ${p.price}, ${p.categoryId})`,
    })),
  );
  return { db, products, queries: randomVectors(5, DIMENSION, 6) };
}

function expectedIds(products: Product[], matches: (p: Product) => boolean, query: Float32Array, topK: number): number[] {
  return bruteForceTopK('cosine', products.filter(matches), query, topK).map((n) => n.id);
}

test('SELECT * with a WHERE returns the nearest matching rows with every column', async (t) => {
  const { db, products, queries } = await productsDb(t);
  const byId = new Map(products.map((p) => [p.id, p]));
  for (const query of queries) {
    const hits = await db.search({
      collection: 'products',
      vector: query,
      topK: 10,
      ef: EXACT_EF,
      payloadSearchQuery: 'SELECT * FROM products WHERE price < 150',
    });
    t.deepEqual(hits.map((h) => h.id), expectedIds(products, (p) => p.price < 150, query, 10));
    for (const hit of hits) {
      const product = byId.get(hit.id)!;
      t.like(hit.payload, { name: product.name, price: product.price, category_id: product.categoryId });
    }
  }
});

test('a filter at the default ef still returns topK matching rows, nearly all of the true ones', async (t) => {
  const { db, products, queries } = await productsDb(t);
  for (const query of queries) {
    const hits = await db.search({ collection: 'products', vector: query, topK: 10, payloadSearchQuery: 'SELECT * FROM products WHERE price < 150' });
    t.is(hits.length, 10);
    const cheap = new Set(products.filter((p) => p.price < 150).map((p) => p.id));
    t.true(hits.every((h) => cheap.has(h.id)), 'every hit matches the filter');
    const truth = new Set(expectedIds(products, (p) => p.price < 150, query, 10));
    t.true(hits.filter((h) => truth.has(h.id)).length >= 9);
  }
});

test('selecting columns without the id still gives ids, and only those columns as payload', async (t) => {
  const { db, products, queries } = await productsDb(t);
  const byId = new Map(products.map((p) => [p.id, p]));
  for (const query of queries) {
    const hits = await db.search({
      collection: 'products',
      vector: query,
      topK: 7,
      ef: EXACT_EF,
      payloadSearchQuery: 'SELECT name FROM products WHERE price >= 100 AND category_id = 2',
    });
    t.deepEqual(hits.map((h) => h.id), expectedIds(products, (p) => p.price >= 100 && p.categoryId === 2, query, 7));
    for (const hit of hits) t.deepEqual(hit.payload, { name: byId.get(hit.id)!.name });
  }
});

test('a JOIN with another collection filters on and returns its columns', async (t) => {
  const { db, products, queries } = await productsDb(t);
  const byId = new Map(products.map((p) => [p.id, p]));
  for (const query of queries) {
    const hits = await db.search({
      collection: 'products',
      vector: query,
      topK: 10,
      ef: EXACT_EF,
      payloadSearchQuery:
        "SELECT products.name, categories.label FROM products JOIN categories ON categories.rowid = products.category_id WHERE categories.label IN ('books', 'toys')",
    });
    t.deepEqual(hits.map((h) => h.id), expectedIds(products, (p) => p.categoryId === 2 || p.categoryId === 4, query, 10));
    for (const hit of hits) {
      const product = byId.get(hit.id)!;
      t.deepEqual(hit.payload, { name: product.name, label: CATEGORIES[product.categoryId - 1] });
    }
  }
});

test('a subquery on another collection and a table alias filter like brute force', async (t) => {
  const { db, products, queries } = await productsDb(t);
  for (const query of queries) {
    const viaSubquery = await db.search({
      collection: 'products',
      vector: query,
      topK: 10,
      ef: EXACT_EF,
      payloadSearchQuery: "SELECT name FROM products WHERE category_id IN (SELECT rowid FROM categories WHERE label = 'food')",
    });
    t.deepEqual(viaSubquery.map((h) => h.id), expectedIds(products, (p) => p.categoryId === 3, query, 10));

    const viaAlias = await db.search({
      collection: 'products',
      vector: query,
      topK: 10,
      ef: EXACT_EF,
      payloadSearchQuery: 'SELECT p.name AS title, p.price FROM products AS p WHERE p.price BETWEEN 50 AND 200',
    });
    t.deepEqual(viaAlias.map((h) => h.id), expectedIds(products, (p) => p.price >= 50 && p.price <= 200, query, 10));
    t.deepEqual(Object.keys(viaAlias[0]!.payload), ['title', 'price']);
  }
});

test('a filter matching fewer rows than topK returns exactly those rows, nearest first', async (t) => {
  const { db, products, queries } = await productsDb(t);
  const isRare = (p: Product) => p.price < 5;
  const rare = products.filter(isRare).length;
  t.true(rare > 0 && rare < 10, `the fixture has ${rare} rows under 5`);
  for (const query of queries) {
    // Default ef: a filter must not lose rows because candidates were post-filtered away.
    const hits = await db.search({ collection: 'products', vector: query, topK: 10, payloadSearchQuery: 'SELECT * FROM products WHERE price < 5' });
    t.deepEqual(hits.map((h) => h.id), expectedIds(products, isRare, query, 10));
  }
});

test('a filter matching no row returns nothing', async (t) => {
  const { db, queries } = await productsDb(t);
  t.deepEqual(await db.search({ collection: 'products', vector: queries[0]!, payloadSearchQuery: 'SELECT * FROM products WHERE price < 0' }), []);
});

test('a filter matching almost everything equals brute force over the matching rows', async (t) => {
  const { db, products, queries } = await productsDb(t);
  for (const query of queries) {
    // Exclude the true nearest point: the filter must drop it and keep the next ten.
    const nearest = expectedIds(products, () => true, query, 1)[0]!;
    const hits = await db.search({
      collection: 'products',
      vector: query,
      topK: 10,
      ef: EXACT_EF,
      payloadSearchQuery: `SELECT rowid, name FROM products WHERE rowid <> ${nearest}`,
    });
    t.deepEqual(hits.map((h) => h.id), expectedIds(products, (p) => p.id !== nearest, query, 10));
  }
});

test('filter SQL with quoted commas, parentheses and semicolons inside strings works', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'notes', dimension: 2, payloadSchema: 'CREATE TABLE notes (rowid INTEGER PRIMARY KEY, body TEXT)' });
  await db.insert({ collection: 'notes', id: 1, vector: [1, 0], payloadInsertQuery: "INSERT INTO notes (body) VALUES ('a, (b); c')" });
  await db.insert({ collection: 'notes', id: 2, vector: [1, 0.1], payloadInsertQuery: "INSERT INTO notes (body) VALUES ('plain')" });
  const hits = await db.search({ collection: 'notes', vector: [1, 0], payloadSearchQuery: "SELECT body FROM notes WHERE body = 'a, (b); c'" });
  t.deepEqual(hits.map((h) => [h.id, h.payload]), [[1, { body: 'a, (b); c' }]]);
});

test('a one-to-many JOIN returns each point once, and ORDER BY in the filter does not change the nearest-first order', async (t) => {
  const { db } = await openFileDb(t);
  await db.createCollection({ name: 'p', dimension: 2, payloadSchema: 'CREATE TABLE p (rowid INTEGER PRIMARY KEY, name TEXT)' });
  await db.createCollection({ name: 'tags', dimension: 1, payloadSchema: 'CREATE TABLE tags (rowid INTEGER PRIMARY KEY, product_id INTEGER, tag TEXT)' });
  for (let i = 1; i <= 5; i++) {
    await db.insert({ collection: 'p', id: i, vector: [1, i], payloadInsertQuery: `INSERT INTO p (name) VALUES ('p${i}')` });
  }
  const tags: Array<[number, string]> = [[1, 'red'], [1, 'big'], [2, 'red'], [2, 'red'], [3, 'big'], [4, 'red']];
  for (const [i, [productId, tag]] of tags.entries()) {
    await db.insert({ collection: 'tags', id: i + 1, vector: [1], payloadInsertQuery: `INSERT INTO tags (product_id, tag) VALUES (${productId}, '${tag}')` });
  }

  const joined = await db.search({
    collection: 'p',
    vector: [1, 0],
    payloadSearchQuery: "SELECT p.name, tags.tag FROM p JOIN tags ON tags.product_id = p.rowid WHERE tags.tag IN ('red', 'big')",
  });
  t.deepEqual(joined.map((h) => h.id), [1, 2, 3, 4]);
  t.true(joined.every((h) => h.payload.name === `p${h.id}`));

  const ordered = await db.search({ collection: 'p', vector: [1, 0], payloadSearchQuery: 'SELECT name FROM p WHERE rowid >= 2 ORDER BY name DESC' });
  t.deepEqual(ordered.map((h) => h.id), [2, 3, 4, 5]);
});
