import test from 'ava';
import { status, type ServiceError } from '@grpc/grpc-js';
import { callUnary, dynamicClient, originalWireProto } from './helpers/wire-client.js';
import { ServerProcess } from './helpers/server-process.js';

test('a client built from the original proto drives the server with Cosine/L2/IP and string payloads', async (t) => {
  const server = await ServerProcess.start(t);
  const client = dynamicClient(originalWireProto, server.address);
  t.teardown(() => client.close());

  for (const [name, distance] of [['cos_c', 'Cosine'], ['l2_c', 'L2'], ['ip_c', 'IP']]) {
    t.deepEqual(await callUnary(client, 'CreateCollection', {
      collection_name: name,
      distance,
      vector_dimension: 3,
      payload_table_schema: `CREATE TABLE ${name} (rowid INTEGER PRIMARY KEY, label TEXT, score REAL, note TEXT)`,
      index_file_path: '',
    }), {});
    for (const id of [1, 2, 3]) {
      await callUnary(client, 'Insert', {
        collection_name: name,
        id: String(id),
        vector: [id, 1, 0],
        payload_insert_query: `INSERT INTO ${name} (label, score, note) VALUES ('item ${id}', ${id}.25, NULL)`,
      });
    }
  }
  const exists = await callUnary<{ exists: boolean }>(client, 'CollectionExists', { collection_name: 'l2_c' });
  t.true(exists.exists);
  t.false((await callUnary<{ exists: boolean }>(client, 'CollectionExists', { collection_name: 'zzz' })).exists);

  type Results = { results: Array<{ rowid: string; distance: number; payload: Array<{ key: string; value: string }> }> };
  const l2 = await callUnary<Results>(client, 'Search', {
    collection_name: 'l2_c',
    vector: [3, 1, 0],
    top_k: 0,
    payload_search_query: 'SELECT label, score, note FROM l2_c',
  });
  t.deepEqual(l2.results.map((r) => r.rowid), ['3', '2', '1']);
  t.deepEqual(l2.results.map((r) => Math.round(r.distance * 1000) / 1000), [0, 1, 4], 'squared L2');
  t.deepEqual(l2.results[0].payload, [
    { key: 'label', value: 'item 3' },
    { key: 'score', value: '3.25' },
    { key: 'note', value: 'NULL' },
  ]);

  const unfiltered = await callUnary<Results>(client, 'Search', { collection_name: 'cos_c', vector: [1, 1, 0], top_k: 2, payload_search_query: '' });
  t.is(unfiltered.results.length, 2);
  t.is(unfiltered.results[0].rowid, '1');
  t.deepEqual(unfiltered.results[0].payload, []);

  const ip = await callUnary<Results>(client, 'Search', { collection_name: 'ip_c', vector: [0, 0, 1], top_k: 3 });
  t.true(ip.results.every((r) => Math.abs(r.distance - 1) < 1e-5), '1 - inner product');

  const deleted = await callUnary<{ success: boolean; message: string }>(client, 'Delete', { collection_name: 'l2_c', id: '2' });
  t.true(deleted.success);
  const dropped = await callUnary<{ success: boolean }>(client, 'DeleteCollection', { collection_name: 'ip_c' });
  t.true(dropped.success);

  const missing = await t.throwsAsync<ServiceError>(callUnary(client, 'Search', { collection_name: 'ip_c', vector: [1, 2, 3] }));
  t.is(missing?.code, status.NOT_FOUND);
  const mismatch = await t.throwsAsync<ServiceError>(callUnary(client, 'Insert', { collection_name: 'l2_c', id: '9', vector: [1] }));
  t.is(mismatch?.code, status.INVALID_ARGUMENT);
  t.is(mismatch?.metadata.get('x-vxl-code')[0], 'DIMENSION_MISMATCH');
  const deleteMissingCollection = await t.throwsAsync<ServiceError>(callUnary(client, 'DeleteCollection', { collection_name: 'never' }));
  t.is(deleteMissingCollection?.code, status.NOT_FOUND);
});

test('distance aliases euclidean and dot are accepted in any case', async (t) => {
  const server = await ServerProcess.start(t);
  const client = dynamicClient(originalWireProto, server.address);
  t.teardown(() => client.close());
  for (const [name, distance] of [['e', 'EUCLIDEAN'], ['d', 'dot'], ['c', ''], ['m', 'cOsInE']]) {
    await callUnary(client, 'CreateCollection', { collection_name: name, distance, vector_dimension: 2 });
  }
  const bad = await t.throwsAsync<ServiceError>(callUnary(client, 'CreateCollection', { collection_name: 'x', distance: 'manhattan', vector_dimension: 2 }));
  t.is(bad?.code, status.INVALID_ARGUMENT);
});
