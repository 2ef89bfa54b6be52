/** Polling until a cluster is ready, bounded so a broken start fails instead of hanging. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Child } from './children.js';

export const START_LIMIT_MS = 90_000;

/**
 * Calls `probe` until it returns a value (errors count as not yet). Fails when the limit passes
 * or one of `children` exits, with the child's last output.
 */
export async function waitUntil<T>(what: string, children: Child[], probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + START_LIMIT_MS;
  let last: unknown;
  for (;;) {
    const dead = children.find((child) => !child.running);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}; its last output:\n${dead.output}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(200);
  }
}
