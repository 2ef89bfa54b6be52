import { createServer } from 'node:net';

/**
 * Ports for processes a test starts later, possibly restarting them on the same address, are
 * taken below Linux's ephemeral range (ip_local_port_range, 32768-60999 by default). A port
 * from bind(0) comes from that range, and once released the kernel may hand it to any
 * outgoing connection (thousands of them in the cluster tests) before the process binds it.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_767;

/** A loopback TCP port nobody listens on, checked by binding it once. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${FIRST_PORT} and ${LAST_PORT}`);
}

function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
