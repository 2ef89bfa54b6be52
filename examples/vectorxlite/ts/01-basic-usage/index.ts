/**
 * Basic usage of the VectorXLite gRPC client: create a collection, insert points with
 * payloads, search, fetch and delete. Run: npx tsx examples/vectorxlite/ts/01-basic-usage/index.ts
 * (set VXL_ADDRESS=host:port to use a running server instead of a temporary one).
 */
import { VectorXLiteClient, VectorXLiteError } from '../../../../src/client/index.js';
import { exampleServer } from '../shared/local-server.js';

const server = await exampleServer();
const db = new VectorXLiteClient(server.address);
try {
  await db.createCollection({
    name: 'articles',
    dimension: 4,
    distance: 'cosine',
    payloadSchema: 'CREATE TABLE articles (rowid INTEGER PRIMARY KEY, title TEXT, year INTEGER)',
  });
  const articles: Array<[number, string, number, number[]]> = [
    [1, 'Vectors in SQLite', 2023, [0.9, 0.1, 0.0, 0.1]],
    [2, 'HNSW explained', 2021, [0.8, 0.3, 0.1, 0.0]],
    [3, 'Cooking with lentils', 2022, [0.0, 0.1, 0.9, 0.4]],
  ];
  for (const [id, title, year, vector] of articles) {
    await db.insert({
      collection: 'articles',
      id,
      vector,
      payloadInsertQuery: `INSERT INTO articles (title, year) VALUES ('${title}', ${year})`,
    });
  }
  console.log('collections:', await db.listCollections());

  const hits = await db.search({
    collection: 'articles',
    vector: [1, 0.2, 0, 0],
    topK: 2,
    payloadSearchQuery: 'SELECT title, year FROM articles',
  });
  for (const hit of hits) console.log(`#${hit.id} ${hit.payload.title} (${hit.payload.year}) distance=${hit.distance.toFixed(4)}`);

  const point = await db.get('articles', 3);
  console.log('point 3:', point?.payload.title, Array.from(point?.vector ?? []));

  console.log('deleted 3:', await db.delete({ collection: 'articles', id: 3 }));
  try {
    await db.insert({ collection: 'articles', id: 9, vector: [1, 2] });
  } catch (err) {
    if (err instanceof VectorXLiteError) console.log(`rejected as expected: ${err.code}: ${err.message}`);
    else throw err;
  }
  console.log('count:', (await db.collectionInfo('articles')).count);
} finally {
  await db.close();
  await server.stop();
}
