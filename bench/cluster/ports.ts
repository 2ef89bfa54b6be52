/** Loopback ports for the benchmark's servers. */
import { createServer } from 'node:net';

/**
 * A port the OS handed out and released again. Nodes must be told their addresses before they
 * start (peers dial them from the cluster configuration), so port 0 cannot be used directly.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function freeAddress(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}
