/**
 * An in-memory key-value state machine: the reference StateMachine for the simulator and the
 * seam's contract tests. Commands carry a client id and sequence number, and a command whose
 * sequence the client already used is not applied again (so a write retried after a leader
 * change is applied at most once).
 */
import type { LogEntry, Snapshot } from '../consensus/types.js';
import type { StateMachine } from './types.js';

export interface KvCommand {
  clientId: string;
  seq: number;
  key: string;
  value: string;
}

export interface KvResult {
  /** False when this client id and sequence were applied before. */
  applied: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeKvCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeKvCommand(data: Uint8Array): KvCommand {
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

interface KvState {
  applied: number;
  data: Array<[string, string]>;
  lastSeq: Array<[string, number]>;
}

export class MemoryStateMachine implements StateMachine<KvResult> {
  private applied = 0;
  private data = new Map<string, string>();
  private lastSeq = new Map<string, number>();

  async apply(entry: LogEntry): Promise<KvResult> {
    if (entry.index !== this.applied + 1) {
      throw new RangeError(`entry ${entry.index} applied out of order (last applied ${this.applied})`);
    }
    this.applied = entry.index;
    if (entry.type !== 'command') return { applied: false };
    const command = decodeKvCommand(entry.data);
    if ((this.lastSeq.get(command.clientId) ?? 0) >= command.seq) return { applied: false };
    this.lastSeq.set(command.clientId, command.seq);
    this.data.set(command.key, command.value);
    return { applied: true };
  }

  async snapshot(): Promise<Uint8Array> {
    const state: KvState = { applied: this.applied, data: [...this.data], lastSeq: [...this.lastSeq] };
    return encoder.encode(JSON.stringify(state));
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const state = JSON.parse(decoder.decode(snapshot.data)) as KvState;
    if (state.applied !== snapshot.meta.index) {
      throw new RangeError(`snapshot data is at ${state.applied} but its metadata says ${snapshot.meta.index}`);
    }
    this.applied = state.applied;
    this.data = new Map(state.data);
    this.lastSeq = new Map(state.lastSeq);
  }

  async appliedIndex(): Promise<number> {
    return this.applied;
  }

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  /** The last sequence number applied for `clientId` (0 if none). */
  lastSequence(clientId: string): number {
    return this.lastSeq.get(clientId) ?? 0;
  }

  /** A canonical rendering of the data, equal on replicas that applied the same entries. */
  digest(): string {
    return JSON.stringify([...this.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
