import test from 'ava';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { ChannelCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { HealthClient, HealthCheckResponse_ServingStatus as Serving } from '../../src/gen/grpc/health/v1/health.js';
import { VectorXLiteError } from '../../src/errors.js';
import { randomVectors } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';
import { connect } from './helpers/client.js';
import { ServerProcess } from './helpers/server-process.js';

test('SIGTERM exits 0 after closing the database; a restart on the same data has everything', async (t) => {
  const dir = await tempDir(t);
  const data = join(dir, 'nested', 'vxl.db');
  const first = await ServerProcess.start(t, { data });
  t.truthy(await stat(data), 'database file created with its folder');
  const client = connect(t, first.address);
  await client.createCollection({ name: 'p', dimension: 4, payloadSchema: 'CREATE TABLE p (rowid INTEGER PRIMARY KEY, tag TEXT)' });
  const vectors = randomVectors(50, 4, 3);
  await client.insertBatch('p', vectors.map((vector, id) => ({ id, vector, payloadInsertQuery: `INSERT INTO p (tag) VALUES ('t${id}')` })));
  const before = await client.search({ collection: 'p', vector: vectors[5], payloadSearchQuery: 'SELECT tag FROM p' });
  t.deepEqual(await first.stop('SIGTERM'), { code: 0, signal: null });
  t.truthy(first.logLines.find((l) => l.msg === 'database closed; server stopped'));

  const second = await ServerProcess.start(t, { data });
  const again = connect(t, second.address);
  t.is((await again.collectionInfo('p')).count, 50);
  const after = await again.search({ collection: 'p', vector: vectors[5], payloadSearchQuery: 'SELECT tag FROM p' });
  // Same points and payloads; distances may move in the 7th digit when vectorlite reloads an
  // index file (docs/engine.md), so they are compared with a tolerance.
  t.deepEqual(after.map((h) => [h.id, h.payload]), before.map((h) => [h.id, h.payload]));
  after.forEach((h, i) => t.true(Math.abs(h.distance - before[i].distance) < 1e-5, `distance of ${h.id}`));
  t.deepEqual(await second.stop('SIGINT'), { code: 0, signal: null });
});

test('kill -9 while inserting loses no acknowledged insert', async (t) => {
  const dir = await tempDir(t);
  const data = join(dir, 'crash.db');
  const server = await ServerProcess.start(t, { data });
  const client = connect(t, server.address, { retry: { attempts: 1 } });
  await client.createCollection({ name: 'c', dimension: 8 });
  const vectors = randomVectors(5000, 8, 99);
  const acknowledged: number[] = [];
  let next = 0;
  const writer = async (): Promise<void> => {
    for (;;) {
      const id = next++;
      if (id >= vectors.length) return;
      try {
        await client.insert({ collection: 'c', id, vector: vectors[id] });
        acknowledged.push(id);
      } catch {
        return;
      }
    }
  };
  const writers = Array.from({ length: 8 }, writer);
  while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 10));
  process.kill(server.pid, 'SIGKILL');
  await Promise.all(writers);
  t.is((await server.exited).signal, 'SIGKILL');

  const restarted = await ServerProcess.start(t, { data });
  const after = connect(t, restarted.address);
  const info = await after.collectionInfo('c');
  t.true(info.count >= acknowledged.length);
  for (const id of acknowledged) {
    const point = await after.get('c', id);
    t.truthy(point, `acknowledged id ${id} is present`);
    if (point) t.deepEqual(Array.from(point.vector), Array.from(vectors[id]));
  }
  const nearest = await after.search({ collection: 'c', vector: vectors[acknowledged[0]], topK: 1 });
  t.is(nearest[0]?.id, acknowledged[0], 'the index was rebuilt and finds the point');
});

test('graceful shutdown finishes in-flight calls, closes the database, then refuses new ones', async (t) => {
  const dir = await tempDir(t);
  const data = join(dir, 'graceful.db');
  // A shutdown bound no loaded machine reaches: this test is about waiting, not about the bound.
  const server = await ServerProcess.start(t, { data, args: ['--shutdown-timeout-ms', '120000'] });
  const client = connect(t, server.address, { retry: { attempts: 1 } });
  await client.createCollection({ name: 'g', dimension: 32 });
  const vectors = randomVectors(4000, 32, 5);
  const batches = Array.from({ length: 20 }, (_, b) =>
    client.insertBatch('g', vectors.slice(b * 200, (b + 1) * 200).map((vector, i) => ({ id: b * 200 + i, vector }))),
  );
  await Promise.race(batches);
  const stopped = server.stop('SIGTERM');
  const outcomes = await Promise.allSettled(batches);
  t.deepEqual(await stopped, { code: 0, signal: null });
  for (const o of outcomes) {
    if (o.status === 'rejected') t.is((o.reason as VectorXLiteError).code, 'UNAVAILABLE', String(o.reason));
  }
  const acknowledged = outcomes.filter((o) => o.status === 'fulfilled').length;
  t.true(acknowledged >= 1);
  const late = await t.throwsAsync(client.listCollections(), { instanceOf: VectorXLiteError });
  t.is(late?.code, 'UNAVAILABLE');

  const restarted = await ServerProcess.start(t, { data });
  const after = connect(t, restarted.address);
  t.is((await after.collectionInfo('g')).count, acknowledged * 200, 'every acknowledged batch kept, no partial batch');
});

test('grpc.health.v1 reports SERVING without a token; HTTP live/ready and /metrics count calls', async (t) => {
  const server = await ServerProcess.start(t, { metrics: true, args: ['--auth-token', 'tok'] });
  const health = new HealthClient(server.address, ChannelCredentials.createInsecure());
  t.teardown(() => health.close());
  const check = (service: string) =>
    new Promise<number>((resolve, reject) => health.check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))));
  t.is(await check(''), Serving.SERVING);
  t.is(await check('vectorxlite_pb.VectorXLitePB'), Serving.SERVING);
  const unknown = await t.throwsAsync<ServiceError>(check('no.such.Service'));
  t.is(unknown?.code, status.NOT_FOUND);

  const base = `http://127.0.0.1:${server.metricsPort}`;
  t.is((await fetch(`${base}/health/live`)).status, 200);
  t.is((await fetch(`${base}/health/ready`)).status, 200);

  const client = connect(t, server.address, { token: 'tok' });
  await client.createCollection({ name: 'm', dimension: 2 });
  await client.insertBatch('m', [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }, { id: 3, vector: [1, 1] }]);
  for (let i = 0; i < 3; i++) await client.search({ collection: 'm', vector: [1, 0] });
  await t.throwsAsync(client.search({ collection: 'missing', vector: [1, 0] }));
  const text = await (await fetch(`${base}/metrics`)).text();
  t.regex(text, /vectordb_operations_total\{operation="search",status="ok"\} 3/);
  t.regex(text, /vectordb_operations_total\{operation="search",status="NOT_FOUND"\} 1/);
  t.regex(text, /vectordb_operations_total\{operation="insert_batch",status="ok"\} 1/);
  t.regex(text, /vectordb_operation_duration_seconds_count\{operation="search"\} 4/);
  t.regex(text, /vectordb_collection_size\{collection="m"\} 3/);
  t.regex(text, /vectordb_batch_size_sum\{operation="insert_batch"\} 3/);
  t.regex(text, /grpc_server_handled_total\{grpc_method="Search",grpc_code="OK"\} 3/);
  t.regex(text, /grpc_server_handled_total\{grpc_method="Search",grpc_code="NOT_FOUND"\} 1/);
  t.regex(text, /grpc_server_handling_seconds_count\{grpc_method="CreateCollection"\} 1/);
  t.regex(text, /process_resident_memory_bytes/);
});

test('logs are JSON: startup at info, failed requests at warn with method, code, duration and request id', async (t) => {
  const server = await ServerProcess.start(t, { args: ['--log-level', 'debug'] });
  const client = connect(t, server.address);
  await client.collectionExists('x');
  await t.throwsAsync(client.collectionInfo('missing'));
  const ok = await server.waitForLog((l) => l.method === 'CollectionExists');
  t.like(ok, { level: 20, code: 'OK' });
  const failed = await server.waitForLog((l) => l.method === 'GetCollectionInfo');
  t.like(failed, { level: 40, code: 'NOT_FOUND' });
  t.is(typeof failed.requestId, 'string');
  t.is(typeof failed.durationMs, 'number');
  t.false(server.logLines.some((l) => l.unparsed));
});

test('--help lists every flag and exits 0; a bad flag exits 2 naming it', async (t) => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const run = promisify(execFile);
  const { repoRoot } = await import('./helpers/server-process.js');
  const help = await run(process.execPath, ['--import=tsx', 'src/server/main.ts', '--help'], { cwd: repoRoot });
  for (const flag of ['--port', '--host', '--data', '--log-level', '--metrics-port', '--auth-token', '--tls-cert', '--tls-key', '--max-message-bytes']) {
    t.true(help.stdout.includes(flag), flag);
  }
  const bad = await t.throwsAsync<Error & { code: number; stderr: string }>(run(process.execPath, ['--import=tsx', 'src/server/main.ts', '--port', 'x'], { cwd: repoRoot }));
  t.is(bad?.code, 2);
  t.regex(bad?.stderr ?? '', /--port/);
});
