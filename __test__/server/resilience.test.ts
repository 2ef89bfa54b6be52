import test from 'ava';
import { ChannelCredentials } from '@grpc/grpc-js';
import { HealthClient, HealthCheckResponse_ServingStatus as Serving, type HealthCheckResponse } from '../../src/gen/grpc/health/v1/health.js';
import { VectorXLiteError } from '../../src/errors.js';
import { connect } from './helpers/client.js';
import { ServerProcess, freePort } from './helpers/server-process.js';

test('reads retry with backoff on UNAVAILABLE until the server is up; writes fail at once', async (t) => {
  const port = await freePort();
  const client = connect(t, `127.0.0.1:${port}`, { retry: { attempts: 200, initialDelayMs: 100, maxDelayMs: 1000 }, deadlineMs: 120_000 });
  const write = await t.throwsAsync(client.createCollection({ name: 'w', dimension: 2 }), { instanceOf: VectorXLiteError });
  t.is(write?.code, 'UNAVAILABLE');
  const read = client.listCollections();
  await ServerProcess.start(t, { port });
  t.deepEqual(await read, []);
});

test('health Watch streams SERVING, then NOT_SERVING when shutdown begins, then ends', async (t) => {
  const server = await ServerProcess.start(t);
  const health = new HealthClient(server.address, ChannelCredentials.createInsecure());
  t.teardown(() => health.close());
  const seen: Serving[] = [];
  const ended = new Promise<void>((resolve) => {
    const stream = health.watch({ service: '' });
    stream.on('data', (m: HealthCheckResponse) => {
      seen.push(m.status);
      if (m.status === Serving.SERVING) server.stop('SIGTERM');
    });
    stream.on('end', () => resolve());
    stream.on('error', () => resolve());
  });
  await ended;
  t.deepEqual(seen, [Serving.SERVING, Serving.NOT_SERVING]);
  t.deepEqual(await server.exited, { code: 0, signal: null });
});

test('a per-call deadline surfaces as DEADLINE_EXCEEDED', async (t) => {
  const server = await ServerProcess.start(t);
  const client = connect(t, server.address);
  await client.createCollection({ name: 'slow', dimension: 64 });
  const points = Array.from({ length: 5000 }, (_, id) => ({ id, vector: Float32Array.from({ length: 64 }, (_, i) => Math.sin(id + i)) }));
  const err = await t.throwsAsync(client.insertBatch('slow', points, { deadlineMs: 1 }), { instanceOf: VectorXLiteError });
  t.is(err?.code, 'DEADLINE_EXCEEDED');
  t.true(await client.collectionExists('slow'), 'the server still serves');
});
