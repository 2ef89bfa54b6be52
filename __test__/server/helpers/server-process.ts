import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { freePort } from '../../helpers/ports.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** VXL_SERVER_MAIN runs the suite against another entry, e.g. the built dist/src/server/main.js. */
const mainScript = process.env.VXL_SERVER_MAIN ?? fileURLToPath(new URL('../../../src/server/main.ts', import.meta.url));

export interface ServerProcessOptions {
  /** Database path; default `:memory:`. */
  data?: string;
  /** Extra command-line flags. */
  args?: string[];
  env?: Record<string, string>;
  /** Serve /metrics and /health on a free port (default off). */
  metrics?: boolean;
  /** Ask for this gRPC port instead of a free one (restart tests reuse a port). */
  port?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every server a test file started, so none outlives the test process. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export { freePort };

/** A `vectorxlite-server` child process on 127.0.0.1, its JSON log lines collected. */
export class ServerProcess {
  readonly logLines: Array<Record<string, unknown>> = [];
  readonly exited: Promise<ExitStatus>;
  port = 0;
  metricsPort: number | undefined;
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    running.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        try {
          this.logLines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logLines.push({ msg: line, unparsed: true });
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Starts a server and resolves once it logged that it listens; `t.teardown` kills it if still running. */
  static async start(t: ExecutionContext, options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const metricsPort = options.metrics ? await freePort() : 0;
    const args = [
      '--import=tsx',
      mainScript,
      '--host', '127.0.0.1',
      '--port', String(options.port ?? 0),
      '--metrics-port', String(metricsPort),
      '--data', options.data ?? ':memory:',
      '--shutdown-timeout-ms', '5000',
      ...(options.args ?? []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child);
    t.teardown(() => server.kill());
    const listening = await server.waitForLog((l) => l.msg === 'vectorxlite server listening', 60_000);
    server.port = listening.port as number;
    server.metricsPort = listening.metricsPort as number | undefined;
    return server;
  }

  /** Resolves with the first log line (already seen or coming) that matches. */
  async waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.logLines.length; seen++) if (match(this.logLines[seen])) return this.logLines[seen];
      const status = await Promise.race([this.exited, new Promise<undefined>((r) => setTimeout(r, 25, undefined))]);
      if (status) {
        for (; seen < this.logLines.length; seen++) if (match(this.logLines[seen])) return this.logLines[seen];
        throw new Error(`server exited (${JSON.stringify(status)}) before the expected log line; stderr: ${this.stderr}; log: ${JSON.stringify(this.logLines.slice(-5))}`);
      }
      if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.stderr}`);
    }
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitStatus> {
    this.child.kill(signal);
    return this.exited;
  }

  /** SIGKILL unless already gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  get stderrText(): string {
    return this.stderr;
  }
}
