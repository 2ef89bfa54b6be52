import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

/** The repository root: children run from here so `--import tsx` resolves the project's tsx. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A TypeScript script running in its own Node.js process, its stdout read line by line. */
export class NodeChild {
  /** Complete stdout lines so far (a line counts once its newline arrived). */
  readonly lines: string[] = [];
  readonly exited: Promise<ExitStatus>;
  private stderrText = '';
  private partial = '';
  private exitStatus: ExitStatus | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exitStatus = { code, signal };
        this.notify();
        resolve(this.exitStatus);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** All of stdout, including a last line cut off without its newline. */
  get stdout(): string {
    return this.lines.map((line) => `${line}\n`).join('') + this.partial;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Resolves with the first stdout line matching `predicate`; rejects if the child exits first. */
  waitForLine(predicate: (line: string) => boolean): Promise<string> {
    return this.waitFor((lines) => lines.find(predicate));
  }

  /**
   * Resolves with the first defined value `probe` returns, called on the complete stdout lines
   * so far each time more arrive; rejects if the child exits first.
   */
  waitFor<T>(probe: (lines: readonly string[]) => T | undefined, guardMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe(this.lines);
        if (value !== undefined) return finish(() => resolve(value));
        if (!this.running) {
          return finish(() => reject(new Error(`child exited (${JSON.stringify(this.exitStatus)}) first; stderr:\n${this.stderrText}`)));
        }
      };
      // The guard only keeps a broken child from hanging the suite; no test asserts a duration.
      const guard = setTimeout(() => finish(() => reject(new Error(`still waiting after ${guardMs} ms; stderr:\n${this.stderrText}`))), guardMs);
      const finish = (settle: () => void) => {
        clearTimeout(guard);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Writes a line to the child's stdin. */
  writeLine(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Sends `signal` to this child only (by its pid) and waits until it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitStatus> {
    // ChildProcess.kill signals exactly this pid and is a no-op once the child has exited.
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  private onStdout(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    this.lines.push(...parts);
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * Starts `node --import tsx <script> ...args` (with `env` added to this process's environment);
 * the test's teardown kills it if it still runs.
 */
export function spawnNodeScript(t: ExecutionContext, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): NodeChild {
  const child = new NodeChild(
    spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  t.teardown(async () => {
    await child.kill('SIGKILL');
  });
  return child;
}

/** Runs a script to completion and returns its exit status and output. */
export async function runNodeScript(
  t: ExecutionContext,
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ExitStatus & { stdout: string; stderr: string }> {
  const child = spawnNodeScript(t, script, args, env);
  const status = await child.exited;
  return { ...status, stdout: child.stdout, stderr: child.stderr };
}
