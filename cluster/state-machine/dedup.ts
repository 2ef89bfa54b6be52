/**
 * The client table that makes retried writes idempotent: per client id, the highest sequence
 * applied, its result, and the log index where that client last wrote. A retry of that
 * sequence gets the remembered result without being applied again.
 *
 * Bounded by log distance, not by count or time: a client that has not written for `window`
 * entries is forgotten. Expiry depends only on log indexes, so every replica forgets the same
 * clients at the same entry, and since each entry touches one client the table never holds
 * more than `window` clients. The Map keeps clients in order of their last write (a write
 * moves its client to the end), so expiry only looks at the front.
 */
import { VectorXLiteError, isErrorCode } from '../../src/errors.js';
import type { CommandResult } from '../commands/types.js';

/** Entries a client may stay silent before its dedup record is dropped. */
export const DEFAULT_DEDUP_WINDOW = 100_000;

interface ClientRecord {
  seq: number;
  index: number;
  result: CommandResult;
}

/** [clientId, seq, index, result], in order of last write. */
export type DedupRow = [string, number, number, CommandResult];

export class DedupTable {
  private clients = new Map<string, ClientRecord>();

  constructor(readonly window: number = DEFAULT_DEDUP_WINDOW) {
    if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`dedup window must be a positive integer, got ${window}`);
  }

  /** Forgets every client whose last write is `window` or more entries before `index`. */
  expire(index: number): void {
    for (const [clientId, record] of this.clients) {
      if (record.index > index - this.window) return;
      this.clients.delete(clientId);
    }
  }

  /**
   * The outcome of a write already seen: the remembered result for the last applied sequence,
   * a refusal for an older one (its result is no longer kept), undefined for a new sequence.
   */
  seen(clientId: string, seq: number): CommandResult | undefined {
    const record = this.clients.get(clientId);
    if (record === undefined || seq > record.seq) return undefined;
    if (seq === record.seq) return record.result;
    return {
      ok: false,
      code: 'FAILED_PRECONDITION',
      message: `client '${clientId}' already wrote sequence ${record.seq}; sequence ${seq} was applied or superseded before and its result is no longer kept. Send one write at a time per client id, with increasing sequences.`,
    };
  }

  record(clientId: string, seq: number, index: number, result: CommandResult): void {
    this.clients.delete(clientId);
    this.clients.set(clientId, { seq, index, result });
  }

  /** The last applied sequence of `clientId` (0 if none remembered). */
  lastSequence(clientId: string): number {
    return this.clients.get(clientId)?.seq ?? 0;
  }

  get size(): number {
    return this.clients.size;
  }

  rows(): DedupRow[] {
    return [...this.clients].map(([clientId, r]) => [clientId, r.seq, r.index, r.result]);
  }

  /** A table holding `rows` (as rows() returned them); SNAPSHOT_INVALID when they are malformed. */
  static fromRows(rows: unknown, window: number): DedupTable {
    const table = new DedupTable(window);
    if (!Array.isArray(rows)) throw malformed('the dedup table is not an array');
    let lastIndex = 0;
    for (const row of rows) {
      if (!Array.isArray(row) || row.length !== 4) throw malformed('a dedup row is not [clientId, seq, index, result]');
      const [clientId, seq, index, result] = row as unknown[];
      if (typeof clientId !== 'string' || !isPositive(seq) || !isPositive(index) || !isResult(result)) {
        throw malformed(`the dedup row of client ${JSON.stringify(clientId)} is malformed`);
      }
      if (index < lastIndex || table.clients.has(clientId)) throw malformed('dedup rows are out of order or repeat a client');
      lastIndex = index;
      table.clients.set(clientId, { seq, index, result });
    }
    return table;
  }
}

function isPositive(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

function isResult(value: unknown): value is CommandResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (r.ok === true) return r.deleted === undefined || typeof r.deleted === 'boolean';
  return r.ok === false && isErrorCode(r.code) && typeof r.message === 'string';
}

function malformed(reason: string): VectorXLiteError {
  return new VectorXLiteError('SNAPSHOT_INVALID', `state machine snapshot: ${reason}.`);
}
