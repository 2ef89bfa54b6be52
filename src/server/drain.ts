import type { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/** Graceful stop bounded by `timeoutMs`: stop accepting, wait for in-flight calls, then cancel what is left. */
export function drain(server: Server, timeoutMs: number, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log.warn({ timeoutMs }, 'in-flight calls did not finish in time; cancelling them');
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
