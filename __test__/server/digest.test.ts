/**
 * The Digest RPC of a real server process: the same SHA-256 the embedded VectorXLite.digest()
 * computes for the same writes, behind the server's auth like every other call, and counted
 * in its metrics.
 */
import test from 'ava';
import type { VectorXLite } from '../../src/index.js';
import type { VectorXLiteClient } from '../../src/client/index.js';
import { openMemoryDb } from '../helpers/embedded.js';
import { rejectsWithCode } from '../helpers/errors.js';
import { connect, serverWithClient } from './helpers/client.js';
import { ServerProcess } from './helpers/server-process.js';

const SCHEMA = 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT, score REAL, views INTEGER, raw BLOB)';

/** The same writes on either API: typed payload columns, a batch, a delete. */
async function write(db: VectorXLite | VectorXLiteClient): Promise<void> {
  await db.createCollection({ name: 'docs', dimension: 3, distance: 'l2', payloadSchema: SCHEMA });
  await db.createCollection({ name: 'bare', dimension: 2 });
  await db.insert({ collection: 'docs', id: 1, vector: [1, 2, 3], payloadInsertQuery: "INSERT INTO docs (title, score, views, raw) VALUES ('a', 1.5, 7, x'00ff')" });
  await db.insertBatch('docs', [
    { id: 2, vector: [0.5, 0.25, 0.125], payloadInsertQuery: "INSERT INTO docs (title, score) VALUES ('b', 2)" },
    { id: 3, vector: [-1, 0, 1] },
  ]);
  await db.insert({ collection: 'bare', id: 10, vector: [0.3, 0.4] });
  await db.delete({ collection: 'docs', id: 3 });
}

test('Digest answers what VectorXLite.digest() computes for the same writes, and changes with the data', async (t) => {
  const { client } = await serverWithClient(t);
  const { db } = await openMemoryDb(t);
  t.is(await client.digest(), await db.digest(), 'empty databases');
  t.regex(await client.digest(), /^[0-9a-f]{64}$/);

  await write(client);
  await write(db);
  const digest = await client.digest();
  t.is(digest, await db.digest(), 'the server hashes exactly what the embedded engine hashes');
  t.is(await client.digest(), digest, 'reading the digest changes nothing');

  await client.insert({ collection: 'bare', id: 11, vector: [0.3, 0.4] });
  t.not(await client.digest(), digest, 'a new point changes the digest');
  await client.delete({ collection: 'bare', id: 11 });
  t.is(await client.digest(), digest, 'deleting it again restores the digest');
});

test('Digest tells an INTEGER payload from the same REAL value', async (t) => {
  const { client } = await serverWithClient(t);
  const other = connect(t, (await ServerProcess.start(t)).address);
  for (const [c, value] of [[client, '1'], [other, '1.0']] as const) {
    await c.createCollection({ name: 'n', dimension: 2, payloadSchema: 'CREATE TABLE n (rowid INTEGER PRIMARY KEY, v)' });
    await c.insert({ collection: 'n', id: 1, vector: [1, 0], payloadInsertQuery: `INSERT INTO n (v) VALUES (${value})` });
  }
  t.not(await client.digest(), await other.digest());
});

test('with --auth-token Digest needs the token; without it the call is UNAUTHENTICATED', async (t) => {
  const server = await ServerProcess.start(t, { env: { VXL_AUTH_TOKEN: 'digest secret' } });
  const good = connect(t, server.address, { token: 'digest secret' });
  await good.createCollection({ name: 'a', dimension: 2 });
  t.regex(await good.digest(), /^[0-9a-f]{64}$/);
  await rejectsWithCode(t, connect(t, server.address).digest(), 'UNAUTHENTICATED', 'no token');
  await rejectsWithCode(t, connect(t, server.address, { token: 'wrong' }).digest(), 'UNAUTHENTICATED', 'wrong token');
});

test('Digest is counted as operation "digest" in the server metrics', async (t) => {
  const server = await ServerProcess.start(t, { metrics: true });
  const client = connect(t, server.address);
  await client.digest();
  await client.digest();
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  t.regex(text, /vectordb_operations_total\{operation="digest",status="ok"\} 2/);
});

test('digest() on a closed client rejects with CLOSED without calling the server', async (t) => {
  const { client } = await serverWithClient(t);
  await client.close();
  await rejectsWithCode(t, client.digest(), 'CLOSED');
});
