/** Self-signed certificates made with openssl at test time, valid for 127.0.0.1. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import type { TransportTls } from '../../cluster/transport/grpc/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

/** A certificate that is its own CA: every node holding it trusts every other node holding it. */
export async function selfSignedTls(t: ExecutionContext, name: string): Promise<TransportTls> {
  const dir = await tempDir(t, 'vxl-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  const pem = await readFile(cert);
  return { cert: pem, key: await readFile(key), ca: pem };
}
