/**
 * Searches narrowed by SQL over the payload table, including a JOIN with another
 * collection's table. Run: npx tsx examples/vectorxlite/ts/02-advanced-search/index.ts
 */
import { VectorXLiteClient } from '../../../../src/client/index.js';
import { exampleServer } from '../shared/local-server.js';

const server = await exampleServer();
const db = new VectorXLiteClient(server.address);
try {
  await db.createCollection({
    name: 'stores',
    dimension: 2,
    distance: 'l2',
    payloadSchema: 'CREATE TABLE stores (rowid INTEGER PRIMARY KEY, city TEXT)',
  });
  await db.createCollection({
    name: 'products',
    dimension: 3,
    distance: 'l2',
    payloadSchema: 'CREATE TABLE products (rowid INTEGER PRIMARY KEY, name TEXT, price REAL, store_id INTEGER)',
  });
  await db.insert({ collection: 'stores', id: 1, vector: [0, 0], payloadInsertQuery: "INSERT INTO stores (city) VALUES ('Lisbon')" });
  await db.insert({ collection: 'stores', id: 2, vector: [5, 5], payloadInsertQuery: "INSERT INTO stores (city) VALUES ('Porto')" });
  const products: Array<[number, string, number, number]> = [
    [1, 'espresso cup', 9.5, 1],
    [2, 'teapot', 35, 2],
    [3, 'mug, large', 12, 2],
    [4, 'french press', 48, 1],
    [5, 'saucer', 4, 1],
  ];
  await db.insertBatch(
    'products',
    products.map(([id, name, price, store]) => ({
      id,
      vector: [id, price / 10, store],
      payloadInsertQuery: `INSERT INTO products (name, price, store_id) VALUES ('${name}', ${price}, ${store})`,
    })),
  );
  const query = [2, 1, 1];

  console.log('nearest, no filter:');
  for (const r of await db.search({ collection: 'products', vector: query, topK: 3 })) console.log(`  #${r.id} d=${r.distance.toFixed(2)}`);

  console.log('nearest under 20 (payload filter):');
  const cheap = await db.search({ collection: 'products', vector: query, topK: 3, payloadSearchQuery: 'SELECT name, price FROM products WHERE price < 20' });
  for (const r of cheap) console.log(`  #${r.id} ${r.payload.name} ${r.payload.price}`);

  console.log('nearest sold in Porto (JOIN with the stores collection):');
  const porto = await db.search({
    collection: 'products',
    vector: query,
    topK: 3,
    payloadSearchQuery:
      "SELECT products.name, stores.city FROM products JOIN stores ON stores.rowid = products.store_id WHERE stores.city = 'Porto'",
  });
  for (const r of porto) console.log(`  #${r.id} ${r.payload.name} in ${r.payload.city}`);

  console.log('wider search breadth (ef) for better recall on large collections:');
  console.log('  ', (await db.search({ collection: 'products', vector: query, topK: 2, ef: 200 })).map((r) => r.id));
} finally {
  await db.close();
  await server.stop();
}
