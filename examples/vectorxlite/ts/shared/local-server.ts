import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ExampleServer {
  address: string;
  stop(): Promise<void>;
}

const serverMain = fileURLToPath(new URL('../../../../src/server/main.ts', import.meta.url));

/**
 * The server an example talks to: the one at VXL_ADDRESS (host:port) when set, else a
 * fresh in-memory `vectorxlite-server` on a free loopback port, stopped with SIGTERM.
 */
export async function exampleServer(): Promise<ExampleServer> {
  const given = process.env.VXL_ADDRESS;
  if (given) return { address: given, stop: async () => undefined };
  const child = spawn(
    process.execPath,
    ['--import=tsx', serverMain, '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--data', ':memory:', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await listeningPort(child);
  return {
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The port from the server's startup log line; later lines are read and dropped so the pipe never fills. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'vectorxlite server listening' && entry.port) resolve(entry.port);
    });
    child.once('exit', (code) => reject(new Error(`the example server exited with code ${code} before listening`)));
  });
}
