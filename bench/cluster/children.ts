/**
 * The processes and temp dirs one benchmark run creates, and their removal on every path: a
 * normal end, an error, Ctrl-C or SIGTERM. Children are signalled by their own pids only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Lines of a child's output kept for the error message when it dies early. */
const TAIL_LINES = 40;
/** How long a SIGTERM'd child gets before SIGKILL. */
const STOP_GRACE_MS = 10_000;

export class Child {
  readonly exited: Promise<void>;
  private readonly tail: string[] = [];
  private done = false;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    // Output is drained (a full pipe would stall the child) and only the tail kept.
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        this.tail.push(...chunk.split('\n').filter((line) => line !== ''));
        this.tail.splice(0, Math.max(0, this.tail.length - TAIL_LINES));
      });
    }
    this.exited = new Promise((resolve) => {
      child.once('close', () => {
        this.done = true;
        children.delete(this);
        resolve();
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  get output(): string {
    return this.tail.join('\n');
  }

  /** Signals this child's pid; a no-op once it has exited. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period; resolves once it has exited. */
  async stop(): Promise<void> {
    this.signal('SIGTERM');
    const grace = setTimeout(() => this.signal('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(grace);
  }
}

const children = new Set<Child>();
const dirs = new Set<string>();

export function spawnChild(name: string, command: string, args: string[], cwd?: string): Child {
  const child = new Child(name, spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  children.add(child);
  return child;
}

/** A fresh temp dir, removed by `cleanUp` or when this process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Stops every child still running (gracefully, then by force) and removes the temp dirs. */
export async function cleanUp(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
  removeDirs();
}

function removeDirs(): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  dirs.clear();
}

/** The last resort when this process ends without `cleanUp`: only synchronous work is possible here. */
function killAllNow(): void {
  for (const child of children) child.signal('SIGKILL');
  removeDirs();
}

process.once('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the benchmark's processes\n`);
    killAllNow();
    process.exit(130);
  });
}
