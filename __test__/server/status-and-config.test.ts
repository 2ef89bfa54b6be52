import test from 'ava';
import { Metadata, status } from '@grpc/grpc-js';
import { ErrorCodes, VectorXLiteError } from '../../src/errors.js';
import { BearerTokenAuth } from '../../src/server/auth.js';
import { helpText, parseCommandLine, DEFAULT_CONFIG } from '../../src/server/config.js';
import { parseDistance } from '../../src/server/distance.js';
import { ERROR_CODE_METADATA_KEY, errorCodeForStatus, grpcStatusByErrorCode, statusForError } from '../../src/server/status.js';

test('every error code maps to a status, and the client recovers the code from status plus x-vxl-code', (t) => {
  for (const code of ErrorCodes) {
    const s = statusForError(new VectorXLiteError(code, 'm'));
    t.is(s.code, grpcStatusByErrorCode[code]);
    t.is(errorCodeForStatus(s.code, s.metadata), code, code);
  }
});

test('bad input maps to INVALID_ARGUMENT and only real faults to INTERNAL', (t) => {
  for (const code of ['INVALID_ARGUMENT', 'DIMENSION_MISMATCH', 'SQL_ERROR', 'FORBIDDEN_SQL', 'SNAPSHOT_INVALID'] as const) {
    t.is(grpcStatusByErrorCode[code], status.INVALID_ARGUMENT, code);
  }
  t.is(grpcStatusByErrorCode.NOT_FOUND, status.NOT_FOUND);
  t.is(grpcStatusByErrorCode.ALREADY_EXISTS, status.ALREADY_EXISTS);
  t.is(grpcStatusByErrorCode.RESOURCE_EXHAUSTED, status.RESOURCE_EXHAUSTED);
  t.is(grpcStatusByErrorCode.UNAUTHENTICATED, status.UNAUTHENTICATED);
  const internal = (Object.keys(grpcStatusByErrorCode) as Array<keyof typeof grpcStatusByErrorCode>).filter(
    (c) => grpcStatusByErrorCode[c] === status.INTERNAL,
  );
  t.deepEqual(internal.sort(), ['INTERNAL', 'IO_ERROR']);
});

test('without x-vxl-code a status maps to its plain code; a carried code that contradicts the status is ignored', (t) => {
  t.is(errorCodeForStatus(status.INVALID_ARGUMENT), 'INVALID_ARGUMENT');
  t.is(errorCodeForStatus(status.UNAVAILABLE), 'UNAVAILABLE');
  t.is(errorCodeForStatus(status.PERMISSION_DENIED), 'UNAUTHENTICATED');
  t.is(errorCodeForStatus(status.UNKNOWN), 'INTERNAL');
  const md = new Metadata();
  md.set(ERROR_CODE_METADATA_KEY, 'DIMENSION_MISMATCH');
  t.is(errorCodeForStatus(status.NOT_FOUND, md), 'NOT_FOUND');
  t.is(errorCodeForStatus(status.INVALID_ARGUMENT, md), 'DIMENSION_MISMATCH');
});

test('distance names match case-insensitively with aliases; empty means cosine', (t) => {
  t.is(parseDistance('Cosine'), 'cosine');
  t.is(parseDistance(''), 'cosine');
  t.is(parseDistance('L2'), 'l2');
  t.is(parseDistance('euclidean'), 'l2');
  t.is(parseDistance('IP'), 'ip');
  t.is(parseDistance('Dot'), 'ip');
  const err = t.throws(() => parseDistance('manhattan'), { instanceOf: VectorXLiteError });
  t.is(err?.code, 'INVALID_ARGUMENT');
});

test('command line: defaults, flags over env, help, and bad values named', (t) => {
  const defaults = parseCommandLine([], {});
  t.false(defaults.help);
  if (defaults.help) return;
  t.is(defaults.config.port, 50051);
  t.is(defaults.config.host, '0.0.0.0');
  t.is(defaults.config.dataPath, './data/vectorxlite.db');
  t.is(defaults.config.metricsPort, 9091);
  t.is(defaults.config.authToken, undefined);

  const env = { VXL_PORT: '6000', VXL_DATA: ':memory:', VXL_AUTH_TOKEN: 'env-token' };
  const parsed = parseCommandLine(['--port', '7000', '--max-top-k', '50', '--metrics-port', '0'], env);
  t.false(parsed.help);
  if (parsed.help) return;
  t.is(parsed.config.port, 7000);
  t.is(parsed.config.dataPath, ':memory:');
  t.is(parsed.config.authToken, 'env-token');
  t.is(parsed.config.limits.maxTopK, 50);
  t.is(parsed.config.metricsPort, 0);

  t.true(parseCommandLine(['--help'], {}).help);
  for (const flag of ['--port', '--host', '--data', '--log-level', '--metrics-port', '--auth-token', '--tls-cert', '--tls-key', '--max-message-bytes']) {
    t.true(helpText().includes(flag), flag);
  }
  for (const env of ['VXL_PORT', 'VXL_DATA', 'VXL_AUTH_TOKEN']) t.true(helpText().includes(env), env);

  const bad = (argv: string[], mention: string): void => {
    const err = t.throws(() => parseCommandLine(argv, {}), { instanceOf: VectorXLiteError });
    t.is(err?.code, 'INVALID_ARGUMENT');
    t.true(err?.message.includes(mention), `${err?.message} mentions ${mention}`);
  };
  bad(['--port', 'abc'], '--port');
  bad(['--port', '70000'], '--port');
  bad(['--log-level', 'loud'], '--log-level');
  bad(['--tls-cert', 'c.pem'], '--tls-key');
  bad(['--no-such-flag'], '--help');
  t.is(DEFAULT_CONFIG.maxMessageBytes, 4 * 1024 * 1024);
});

test('bearer token: right token passes, wrong, missing or malformed is UNAUTHENTICATED', (t) => {
  const auth = new BearerTokenAuth('s3cret');
  const md = (value?: string): Metadata => {
    const m = new Metadata();
    if (value !== undefined) m.set('authorization', value);
    return m;
  };
  t.notThrows(() => auth.check(md('Bearer s3cret')));
  for (const value of [undefined, 'Bearer wrong', 'Bearer s3cret2', 'Basic s3cret', 's3cret', 'Bearer ']) {
    const err = t.throws(() => auth.check(md(value)), { instanceOf: VectorXLiteError });
    t.is(err?.code, 'UNAUTHENTICATED', String(value));
  }
});
