import test from 'ava';
import { Writable } from 'node:stream';
import { ChannelCredentials, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { HealthClient, HealthService as HealthDefinition, type HealthCheckRequest, type HealthCheckResponse } from '../../src/gen/grpc/health/v1/health.js';
import { VectorXLiteError } from '../../src/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { CallAdapter } from '../../src/server/adapter.js';
import { BearerTokenAuth } from '../../src/server/auth.js';

/** A real grpc-js server on loopback whose Check handler is the given function, run through CallAdapter. */
async function serve(handler: (r: HealthCheckRequest) => Promise<HealthCheckResponse>, auth?: BearerTokenAuth) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const metrics = createMetrics({ processMetrics: false });
  const adapter = new CallAdapter({ logger: createLogger({ level: 'debug', destination }), metrics, auth });
  const server = new Server();
  server.addService(HealthDefinition, {
    check: adapter.unary('Check', handler, { operation: 'check' }),
    watch: adapter.serverStreaming('Watch', async () => undefined),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const client = new HealthClient(`127.0.0.1:${port}`, ChannelCredentials.createInsecure());
  const check = (service: string) =>
    new Promise<HealthCheckResponse>((resolve, reject) => client.check({ service }, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    lines,
    metrics,
    check,
    close: () => {
      client.close();
      server.forceShutdown();
    },
  };
}

test('an unexpected exception becomes INTERNAL with a generic message; the stack goes to the log only', async (t) => {
  const s = await serve(async () => {
    throw new TypeError('secret internals at /home/app');
  });
  t.teardown(s.close);
  const err = await t.throwsAsync<ServiceError>(s.check('x'));
  t.is(err?.code, status.INTERNAL);
  t.notRegex(err?.details ?? '', /secret/);
  t.regex(err?.details ?? '', /request id/);
  const logged = s.lines.find((l) => l.msg === 'request failed');
  t.is(logged?.level, 50);
  t.regex(JSON.stringify(logged?.err), /secret internals/);
  t.regex(JSON.stringify(logged?.err), /TypeError/);
});

test('a VectorXLiteError keeps its message and travels as status plus x-vxl-code; metrics count it', async (t) => {
  const s = await serve(async (r) => {
    if (r.service === 'bad') throw new VectorXLiteError('DIMENSION_MISMATCH', 'vector has 2 components, collection has 3');
    return { status: 1 };
  });
  t.teardown(s.close);
  t.is((await s.check('ok')).status, 1);
  const err = await t.throwsAsync<ServiceError>(s.check('bad'));
  t.is(err?.code, status.INVALID_ARGUMENT);
  t.is(err?.details, 'vector has 2 components, collection has 3');
  t.is(err?.metadata.get('x-vxl-code')[0], 'DIMENSION_MISMATCH');
  const text = await s.metrics.registry.metrics();
  t.regex(text, /vectordb_operations_total\{operation="check",status="ok"\} 1/);
  t.regex(text, /vectordb_operations_total\{operation="check",status="DIMENSION_MISMATCH"\} 1/);
  t.regex(text, /grpc_server_handled_total\{grpc_method="Check",grpc_code="INVALID_ARGUMENT"\} 1/);
  t.like(s.lines.find((l) => l.code === 'INVALID_ARGUMENT'), { level: 40, method: 'Check' });
});

test('auth runs before the handler: without the token the handler never runs', async (t) => {
  let ran = 0;
  const s = await serve(async () => {
    ran++;
    return { status: 1 };
  }, new BearerTokenAuth('tok'));
  t.teardown(s.close);
  const err = await t.throwsAsync<ServiceError>(s.check(''));
  t.is(err?.code, status.UNAUTHENTICATED);
  t.is(ran, 0);
});
