/**
 * The history of a fault run: every client operation with the times it was invoked and
 * completed (ms on this process's monotonic clock) and what the client learned of it.
 */
import { status, type ServiceError } from '@grpc/grpc-js';

/**
 * ok: acknowledged. failed: the server said it was not applied. unknown: it may or may not
 * have been applied (timeout, connection lost, or a leadership change after proposing).
 */
export type Outcome = 'ok' | 'failed' | 'unknown';

export interface WriteOp {
  kind: 'write';
  client: number;
  id: number;
  /**
   * A write built to be refused, so it must never be applied whatever its outcome: the wrong
   * dimension (refused before proposing) or a NULL in a NOT NULL column (refused when executed).
   */
  invalid?: 'dimension' | 'constraint';
  node: string;
  invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  error?: string;
}

export interface ReadOp {
  kind: 'read';
  client: number;
  node: string;
  /** Ids asked for: writes acknowledged ok before this read was invoked. */
  expected: number[];
  invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  /** Ids the read returned (ok reads only). */
  seen?: number[];
  error?: string;
}

export type Op = WriteOp | ReadOp;

/**
 * Codes that mean "not applied". Everything else is unknown. FAILED_PRECONDITION (a redirect)
 * is definite: a node answers it only for writes it did not propose or whose entry another
 * leader replaced; a proposal whose fate it cannot tell is answered UNAVAILABLE instead.
 */
const DEFINITE_FAILURES = new Set<status>([status.INVALID_ARGUMENT, status.NOT_FOUND, status.ALREADY_EXISTS, status.FAILED_PRECONDITION]);

export function outcomeOf(error: ServiceError): Outcome {
  return DEFINITE_FAILURES.has(error.code) ? 'failed' : 'unknown';
}

export class History {
  readonly ops: Op[] = [];
  private readonly started = performance.now();

  /** Ms since the run began. */
  now(): number {
    return performance.now() - this.started;
  }

  /** Ids of valid writes acknowledged ok by now, in the order they completed. */
  readonly acknowledged: number[] = [];

  record(op: Op): void {
    this.ops.push(op);
    if (op.kind === 'write' && op.outcome === 'ok' && !op.invalid) this.acknowledged.push(op.id);
  }

  writes(): WriteOp[] {
    return this.ops.filter((op): op is WriteOp => op.kind === 'write');
  }

  reads(): ReadOp[] {
    return this.ops.filter((op): op is ReadOp => op.kind === 'read');
  }
}
