import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VectorXLiteError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { connect } from './helpers/client.js';
import { ServerProcess } from './helpers/server-process.js';

const run = promisify(execFile);

test('with --auth-token every call needs the bearer token; wrong or missing is UNAUTHENTICATED', async (t) => {
  const server = await ServerProcess.start(t, { env: { VXL_AUTH_TOKEN: 'correct horse' } });
  const good = connect(t, server.address, { token: 'correct horse' });
  await good.createCollection({ name: 'a', dimension: 2 });
  t.true(await good.collectionExists('a'));
  for (const token of [undefined, 'wrong', 'correct horse battery']) {
    const client = connect(t, server.address, token === undefined ? {} : { token });
    const err = await t.throwsAsync(client.collectionExists('a'), { instanceOf: VectorXLiteError });
    t.is(err?.code, 'UNAUTHENTICATED', String(token));
    const insert = await t.throwsAsync(client.insert({ collection: 'a', id: 1, vector: [1, 0] }), { instanceOf: VectorXLiteError });
    t.is(insert?.code, 'UNAUTHENTICATED');
  }
  t.is((await good.collectionInfo('a')).count, 0, 'rejected calls changed nothing');

  const dir = await tempDir(t);
  const file = join(dir, 'a.vxlsnap');
  await good.exportSnapshotToFile(file);
  const stranger = connect(t, server.address, { token: 'nope' });
  const exported = await t.throwsAsync(stranger.exportSnapshotToFile(join(dir, 'stolen.vxlsnap')), { instanceOf: VectorXLiteError });
  t.is(exported?.code, 'UNAUTHENTICATED');
  const imported = await t.throwsAsync(stranger.importSnapshotFromFile(file, { chunkSize: 1024 }), { instanceOf: VectorXLiteError });
  t.is(imported?.code, 'UNAUTHENTICATED');
  t.true((await good.importSnapshotFromFile(file)).filesRestored >= 1);
});

test('with TLS flags the server speaks TLS only; a client trusting the certificate works', async (t) => {
  const dir = await tempDir(t);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ]);
  const server = await ServerProcess.start(t, { args: ['--tls-cert', cert, '--tls-key', key] });
  const secure = connect(t, `localhost:${server.port}`, { tls: { ca: await readFile(cert) } });
  await secure.createCollection({ name: 'tls', dimension: 2 });
  t.true(await secure.collectionExists('tls'));

  const plain = connect(t, server.address, { deadlineMs: 3000, retry: { attempts: 1 } });
  const err = await t.throwsAsync(plain.collectionExists('tls'), { instanceOf: VectorXLiteError });
  t.true(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL'].includes(err?.code ?? ''), `plaintext refused: ${err?.code}`);
  const untrusting = connect(t, `localhost:${server.port}`, { tls: true, deadlineMs: 3000, retry: { attempts: 1 } });
  const untrusted = await t.throwsAsync(untrusting.collectionExists('tls'), { instanceOf: VectorXLiteError });
  t.is(untrusted?.code, 'UNAVAILABLE', 'a self-signed certificate is not trusted by default');
});
