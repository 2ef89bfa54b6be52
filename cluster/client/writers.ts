/**
 * Writer identities for exactly-once retries. Every write carries `x-client-id` and
 * `x-client-seq`; the cluster's state machine answers a repeated (id, seq) with the first
 * outcome instead of applying it again (docs/state-machine.md, "Client dedup"). The dedup
 * table keeps only the latest sequence per id, so an id must carry one write at a time: each
 * concurrent write borrows an idle identity, or a new one when all are busy.
 */
import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { CLIENT_ID_METADATA_KEY, CLIENT_SEQ_METADATA_KEY } from '../metadata-keys.js';

export interface Writer {
  readonly clientId: string;
  /** The sequence of the write this writer carries now; every try of that write sends it. */
  seq: number;
}

export class WriterPool {
  private readonly prefix = `vxl-client:${randomUUID()}`;
  private readonly idle: Writer[] = [];
  private created = 0;

  /** An identity for one write, with a sequence above every earlier one of that identity. */
  acquire(): Writer {
    const writer = this.idle.pop() ?? { clientId: `${this.prefix}:${++this.created}`, seq: 0 };
    writer.seq++;
    return writer;
  }

  /** The write settled (either way); the identity may carry the next one. */
  release(writer: Writer): void {
    this.idle.push(writer);
  }
}

export function stampWriter(metadata: Metadata, writer: Writer): void {
  metadata.set(CLIENT_ID_METADATA_KEY, writer.clientId);
  metadata.set(CLIENT_SEQ_METADATA_KEY, String(writer.seq));
}
