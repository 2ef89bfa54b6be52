import type { ExecutionContext } from 'ava';
import { VectorXLiteClient, type ClientOptions } from '../../../src/client/index.js';
import { ServerProcess, type ServerProcessOptions } from './server-process.js';

/** A client closed when the test ends. */
export function connect(t: ExecutionContext, address: string, options: ClientOptions = {}): VectorXLiteClient {
  const client = new VectorXLiteClient(address, { deadlineMs: 30_000, ...options });
  t.teardown(() => client.close());
  return client;
}

/** A fresh server process and a client of it. */
export async function serverWithClient(
  t: ExecutionContext,
  options: ServerProcessOptions = {},
): Promise<{ server: ServerProcess; client: VectorXLiteClient }> {
  const server = await ServerProcess.start(t, options);
  return { server, client: connect(t, server.address) };
}
