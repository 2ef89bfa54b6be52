import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startObservabilityHttp } from '../../src/observability/http.js';

test('each metrics set has its own registry with the vectordb and grpc series', async (t) => {
  const a = createMetrics({ processMetrics: false });
  const b = createMetrics({ processMetrics: false, defaultLabels: { node_id: 'n2' } });
  a.operations.inc({ operation: 'search', status: 'ok' });
  a.grpcHandled.inc({ grpc_method: 'Search', grpc_code: 'OK' });
  const text = await a.registry.metrics();
  t.regex(text, /vectordb_operations_total\{operation="search",status="ok"\} 1/);
  t.regex(text, /grpc_server_handled_total\{grpc_method="Search",grpc_code="OK"\} 1/);
  for (const name of ['vectordb_operation_duration_seconds', 'vectordb_collection_size', 'vectordb_batch_size', 'grpc_server_handling_seconds']) {
    t.true(text.includes(`# TYPE ${name}`), name);
  }
  t.notRegex(await b.registry.metrics(), /vectordb_operations_total\{.*\} 1/);
});

test('collection sizes are read at scrape time and deleted collections disappear', async (t) => {
  let sizes = [{ name: 'a', count: 3 }, { name: 'b', count: 5 }];
  const m = createMetrics({ processMetrics: false, collectionSizes: async () => sizes });
  t.regex(await m.registry.metrics(), /vectordb_collection_size\{collection="b"\} 5/);
  sizes = [{ name: 'a', count: 4 }];
  const text = await m.registry.metrics();
  t.regex(text, /vectordb_collection_size\{collection="a"\} 4/);
  t.notRegex(text, /collection="b"/);
});

test('HTTP endpoint serves /metrics, /health/live and /health/ready following readiness', async (t) => {
  const metrics = createMetrics();
  let ready = false;
  const http = await startObservabilityHttp({ host: '127.0.0.1', port: 0, registry: metrics.registry, isReady: () => ready });
  t.teardown(() => http.close());
  const base = `http://127.0.0.1:${http.port}`;
  const scrape = await fetch(`${base}/metrics`);
  t.is(scrape.status, 200);
  t.regex(await scrape.text(), /process_cpu_user_seconds_total/);
  t.is((await fetch(`${base}/health/live`)).status, 200);
  t.is((await fetch(`${base}/health/ready`)).status, 503);
  ready = true;
  t.is((await fetch(`${base}/health/ready`)).status, 200);
  t.is((await fetch(`${base}/nope`)).status, 404);
});

test('logger writes JSON lines with the base fields and honours the level', (t) => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'info', base: { component: 'test' }, destination });
  log.debug('hidden');
  log.child({ requestId: 'r1' }).warn({ code: 'NOT_FOUND' }, 'request failed');
  t.is(lines.length, 1);
  const line = JSON.parse(lines[0]) as Record<string, unknown>;
  t.like(line, { component: 'test', requestId: 'r1', code: 'NOT_FOUND', msg: 'request failed', level: 40 });
});
