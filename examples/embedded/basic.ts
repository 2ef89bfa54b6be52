/**
 * The embedded API in one page: open a database file, create a collection with a payload
 * table, insert points, run a filtered vector search, close.
 *
 * Run from the repository root: node --import tsx examples/embedded/basic.ts
 * In your own project, import from 'vectorxlite' instead of the relative path.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorXLite } from '../../src/index.js';

const dir = await mkdtemp(join(tmpdir(), 'vectorxlite-example-'));
try {
  const db = await VectorXLite.open(join(dir, 'shop.db'));

  await db.createCollection({
    name: 'products',
    dimension: 3,
    distance: 'cosine',
    payloadSchema: 'CREATE TABLE products (rowid INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL)',
  });

  // One transaction: all three points are stored, or none.
  await db.insertBatch('products', [
    { id: 1, vector: [0.9, 0.1, 0.0], payloadInsertQuery: "INSERT INTO products (name, price) VALUES ('red sneakers', 120)" },
    { id: 2, vector: [0.8, 0.2, 0.1], payloadInsertQuery: "INSERT INTO products (name, price) VALUES ('red boots', 180)" },
    { id: 3, vector: [0.1, 0.9, 0.2], payloadInsertQuery: "INSERT INTO products (name, price) VALUES ('blue cap', 40)" },
  ]);

  // The nearest products to "red" among those under 150: the boots are closer but filtered out.
  const hits = await db.search({
    collection: 'products',
    vector: [1, 0, 0],
    topK: 2,
    payloadSearchQuery: 'SELECT name, price FROM products WHERE price < 150',
  });
  for (const hit of hits) {
    console.log(`id=${hit.id} name=${hit.payload.name} price=${hit.payload.price} distance=${hit.distance.toFixed(4)}`);
  }

  await db.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
