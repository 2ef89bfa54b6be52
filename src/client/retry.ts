import { setTimeout as sleep } from 'node:timers/promises';
import type { VectorXLiteError } from '../errors.js';

export interface RetryPolicy {
  /** Total tries including the first; 1 turns retries off. Default 4. */
  attempts?: number;
  /** Delay before the first retry, doubled each time, with jitter. Default 100 ms. */
  initialDelayMs?: number;
  /** Upper bound of one delay. Default 2000 ms. */
  maxDelayMs?: number;
}

/**
 * Runs an idempotent call again while it fails with UNAVAILABLE (server restarting,
 * connection lost), with exponential backoff and full jitter.
 */
export async function withRetry<T>(policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 4);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts || (err as VectorXLiteError).code !== 'UNAVAILABLE') throw err;
      await sleep(backoffDelayMs(policy, attempt));
    }
  }
}

/** The wait after failed try number `attempt` (from 1): exponential up to maxDelayMs, full jitter. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs ?? 2000, (policy.initialDelayMs ?? 100) * 2 ** (attempt - 1));
  return Math.random() * ceiling;
}
