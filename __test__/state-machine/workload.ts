/**
 * Raft logs of engine commands for the state machine tests: a deterministic workload that
 * uses every command type, payload SQL, noop and config entries, and writes that fail on
 * every replica alike, plus helpers to open engine state machines in temp dirs.
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { encodeCommand } from '../../cluster/commands/codec.js';
import type { Command, CommandResult } from '../../cluster/commands/types.js';
import { encodeMembership } from '../../cluster/consensus/membership.js';
import type { LogEntry, Membership } from '../../cluster/consensus/types.js';
import { EngineStateMachine, type EngineStateMachineOptions } from '../../cluster/state-machine/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

export const MEMBERSHIP: Membership = {
  members: [{ id: 'n1', voter: true, raftAddr: '127.0.0.1:5001', clusterAddr: '127.0.0.1:5002' }],
};

export const DIMENSION = 8;
export const SCHEMA = 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, label TEXT NOT NULL, score REAL CHECK (score >= 0), tag TEXT)';

/** A vector that depends only on `id`, so two runs build identical data. */
export function vectorFor(id: number, dimension = DIMENSION): Float32Array {
  return Float32Array.from({ length: dimension }, (_, i) => Math.sin(id * 0.7 + i * 1.3) + (i === id % dimension ? 1 : 0));
}

/** Appends entries to a log, numbering them; commands get the next sequence of their client. */
export class LogBuilder {
  readonly entries: LogEntry[] = [];
  private readonly seqs = new Map<string, number>();

  constructor(private readonly term = 1) {}

  private push(type: LogEntry['type'], data: Uint8Array): LogEntry {
    const entry: LogEntry = { index: this.entries.length + 1, term: this.term, type, data };
    this.entries.push(entry);
    return entry;
  }

  noop(): LogEntry {
    return this.push('noop', new Uint8Array());
  }

  config(membership: Membership = MEMBERSHIP): LogEntry {
    return this.push('config', encodeMembership(membership));
  }

  /** A command from `clientId` with that client's next sequence number (unless `seq` is given). */
  command(clientId: string, body: DistributiveOmit<Command, 'clientId' | 'seq'>, seq?: number): LogEntry {
    const next = seq ?? (this.seqs.get(clientId) ?? 0) + 1;
    this.seqs.set(clientId, Math.max(next, this.seqs.get(clientId) ?? 0));
    return this.push('command', encodeCommand({ ...body, clientId, seq: next } as Command));
  }

  /** A command exactly as given, client id and sequence included. */
  encoded(command: Command): LogEntry {
    return this.push('command', encodeCommand(command));
  }

  /** Re-appends the bytes of an earlier entry, as a client retry after a leader change does. */
  repeat(entry: LogEntry): LogEntry {
    return this.push(entry.type, entry.data);
  }

  raw(data: Uint8Array): LogEntry {
    return this.push('command', data);
  }
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A log of about 140 entries: two collections, single and batched inserts with payloads,
 * deletes, a dropped collection, retries, and refusals (duplicate id, wrong dimension, SQL
 * error, unknown collection, CHECK violation inside a batch, malformed bytes).
 */
export function standardLog(): LogBuilder {
  const log = new LogBuilder();
  log.config();
  log.noop();
  log.command('alice', { type: 'createCollection', collection: { name: 'docs', dimension: DIMENSION, distance: 'cosine', payloadSchema: SCHEMA } });
  log.command('bob', { type: 'createCollection', collection: { name: 'scratch', dimension: 3, distance: 'l2', maxElements: 64, hnsw: { m: 8, efConstruction: 50 } } });
  for (let id = 1; id <= 60; id++) {
    const writer = id % 3 === 0 ? 'bob' : 'alice';
    const entry = log.command(writer, {
      type: 'insert',
      collection: 'docs',
      point: { id, vector: vectorFor(id), payloadInsertQuery: `INSERT INTO docs (label, score, tag) VALUES ('doc ${id}', ${id / 4}, 't${id}')` },
    });
    if (id % 17 === 0) log.repeat(entry);
  }
  log.command('carol', {
    type: 'insertBatch',
    collection: 'docs',
    points: Array.from({ length: 20 }, (_, i) => ({
      id: 100 + i,
      vector: vectorFor(100 + i),
      payloadInsertQuery: `INSERT INTO docs (label, score) VALUES ('batch ${i}', ${i})`,
    })),
  });
  log.command('carol', { type: 'insertBatch', collection: 'docs', points: [
    { id: 200, vector: vectorFor(200), payloadInsertQuery: "INSERT INTO docs (label) VALUES ('fine')" },
    { id: 201, vector: vectorFor(201), payloadInsertQuery: "INSERT INTO docs (label, score) VALUES ('negative', -1)" },
  ] });
  for (let id = 1; id <= 10; id++) log.command('dave', { type: 'insert', collection: 'scratch', point: { id, vector: vectorFor(id, 3) } });
  log.command('dave', { type: 'insert', collection: 'docs', point: { id: 7, vector: vectorFor(7), payloadInsertQuery: "INSERT INTO docs (label) VALUES ('again')" } });
  log.command('dave', { type: 'insert', collection: 'docs', point: { id: 300, vector: vectorFor(300, 5) } });
  log.command('dave', { type: 'insert', collection: 'docs', point: { id: 301, vector: vectorFor(301), payloadInsertQuery: 'INSERT INTO docs (nope) VALUES (1)' } });
  log.command('dave', { type: 'insert', collection: 'missing', point: { id: 1, vector: vectorFor(1) } });
  log.raw(new Uint8Array([0x56, 0x58, 0x43, 1, 2, 0, 0]));
  log.noop();
  for (let id = 2; id <= 40; id += 3) log.command('erin', { type: 'delete', collection: 'docs', id });
  log.command('erin', { type: 'delete', collection: 'docs', id: 9999 });
  log.command('erin', { type: 'deleteCollection', collection: 'scratch' });
  log.command('erin', { type: 'deleteCollection', collection: 'scratch' });
  log.config();
  for (let id = 400; id < 410; id++) log.command('frank', { type: 'insert', collection: 'docs', point: { id, vector: vectorFor(id), payloadInsertQuery: `INSERT INTO docs (label) VALUES ('late ${id}')` } });
  return log;
}

/** An engine state machine in a fresh temp dir, closed at teardown. */
export async function openEngineSm(t: ExecutionContext, options: Partial<EngineStateMachineOptions> = {}): Promise<EngineStateMachine> {
  const sm = await EngineStateMachine.open({ dataDir: join(await tempDir(t, 'vxl-sm-'), 'state'), ...options });
  t.teardown(() => sm.close());
  return sm;
}

export async function applyAll(sm: EngineStateMachine, entries: readonly LogEntry[]): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const entry of entries) results.push(await sm.apply(entry));
  return results;
}

/**
 * The entry at `index` of an endless deterministic log: a config entry, a collection, then
 * inserts, batches, deletes, refusals, noops and client retries in a fixed rhythm. Entries
 * are a function of their index alone, so a crashed child and the test agree on the log.
 */
export function endlessEntry(index: number): LogEntry {
  const entry = (type: LogEntry['type'], data: Uint8Array): LogEntry => ({ index, term: 1, type, data });
  if (index === 1) return entry('config', encodeMembership(MEMBERSHIP));
  if (index === 2) {
    return entry('command', encodeCommand({ type: 'createCollection', clientId: 'setup', seq: 1, collection: { name: 'docs', dimension: DIMENSION, distance: 'l2', payloadSchema: SCHEMA } }));
  }
  const clientId = `w${index % 4}`;
  const seq = index;
  switch (index % 10) {
    case 0:
      return entry('noop', new Uint8Array());
    case 9:
      // The same client's write of four entries ago (its latest), retried.
      return { ...endlessEntry(index - 4), index };
    case 3:
      return entry('command', encodeCommand({ type: 'insertBatch', clientId, seq, collection: 'docs', points: [0, 1, 2].map((k) => ({ id: index * 10 + k, vector: vectorFor(index * 10 + k), payloadInsertQuery: `INSERT INTO docs (label, score) VALUES ('batch ${index}/${k}', ${k})` })) }));
    case 7:
      return entry('command', encodeCommand({ type: 'delete', clientId, seq, collection: 'docs', id: index - 30 }));
    case 8:
      return entry('command', encodeCommand({ type: 'insert', clientId, seq, collection: 'docs', point: { id: index, vector: vectorFor(index, DIMENSION + 1) } }));
    default:
      return entry('command', encodeCommand({ type: 'insert', clientId, seq, collection: 'docs', point: { id: index, vector: vectorFor(index), payloadInsertQuery: `INSERT INTO docs (label, score) VALUES ('entry ${index}', ${index / 8})` } }));
  }
}
