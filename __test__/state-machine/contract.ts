/**
 * The contract of the StateMachine seam (cluster/state-machine/types.ts) where the memory and
 * the engine state machines share semantics: log order, the applied index, retried writes,
 * and snapshot/restore. One test per rule, registered for any implementation.
 */
import test, { type ExecutionContext } from 'ava';
import { encodeMembership } from '../../cluster/consensus/membership.js';
import type { LogEntry, Snapshot } from '../../cluster/consensus/types.js';
import type { StateMachine } from '../../cluster/state-machine/types.js';
import { MEMBERSHIP } from './workload.js';

export interface StateMachineUnderTest {
  sm: StateMachine;
  /** A canonical rendering of the data, equal on replicas that applied the same entries. */
  digest(): Promise<string>;
}

export interface ContractSubject {
  /** A fresh, empty state machine, cleaned up at the test's end. */
  open(t: ExecutionContext): Promise<StateMachineUnderTest>;
  /** Commands applied before any write (e.g. creating a collection), one entry each. */
  setup: Uint8Array[];
  /** The `n`-th distinct write (n ≥ 1), sent by `clientId` with sequence `seq`. */
  write(clientId: string, seq: number, n: number): Uint8Array;
  /** A write that undoes the `n`-th write, so applying that write again would show in the data. */
  undo(clientId: string, seq: number, n: number): Uint8Array;
}

/** Builds numbered logs from a subject's commands. */
class Log {
  readonly entries: LogEntry[] = [];

  add(type: LogEntry['type'], data: Uint8Array = new Uint8Array()): LogEntry {
    const entry = { index: this.entries.length + 1, term: 1, type, data };
    this.entries.push(entry);
    return entry;
  }
}

function baseLog(subject: ContractSubject): Log {
  const log = new Log();
  log.add('config', encodeMembership(MEMBERSHIP));
  log.add('noop');
  for (const data of subject.setup) log.add('command', data);
  return log;
}

/** `count` writes from two clients, each with increasing sequences. */
function addWrites(log: Log, subject: ContractSubject, from: number, count: number): void {
  for (let n = from; n < from + count; n++) log.add('command', subject.write(n % 2 === 0 ? 'even' : 'odd', n, n));
}

async function applyAll(sm: StateMachine, entries: readonly LogEntry[]): Promise<void> {
  for (const entry of entries) await sm.apply(entry);
}

function snapshotAt(index: number, data: Uint8Array): Snapshot {
  return { meta: { index, term: 1, membership: MEMBERSHIP }, data };
}

export function stateMachineContract(name: string, subject: ContractSubject): void {
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test(`${name}: ${title}`, body);

  it('a fresh state machine has applied nothing', async (t) => {
    const { sm } = await subject.open(t);
    t.is(await sm.appliedIndex(), 0);
  });

  it('every entry advances the applied index by one, noop and config entries included', async (t) => {
    const { sm } = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 3);
    log.add('noop');
    log.add('config', encodeMembership(MEMBERSHIP));
    for (const entry of log.entries) {
      await sm.apply(entry);
      t.is(await sm.appliedIndex(), entry.index);
    }
  });

  it('noop and config entries change no data', async (t) => {
    const { sm, digest } = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 2);
    await applyAll(sm, log.entries);
    const before = await digest();
    await sm.apply(log.add('noop'));
    await sm.apply(log.add('config', encodeMembership(MEMBERSHIP)));
    t.is(await digest(), before);
  });

  it('an entry out of log order is refused with a RangeError and changes nothing', async (t) => {
    const { sm, digest } = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 3);
    await applyAll(sm, log.entries.slice(0, -2));
    const before = await digest();
    const applied = await sm.appliedIndex();
    await t.throwsAsync(sm.apply(log.entries.at(-1)!), { instanceOf: RangeError }, 'a gap');
    await t.throwsAsync(sm.apply(log.entries[0]), { instanceOf: RangeError }, 'an entry applied again');
    t.is(await sm.appliedIndex(), applied);
    t.is(await digest(), before);
  });

  it('replicas that apply the same entries hold the same data; different entries, different data', async (t) => {
    const a = await subject.open(t);
    const b = await subject.open(t);
    const c = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 6);
    await applyAll(a.sm, log.entries);
    await applyAll(b.sm, log.entries);
    await applyAll(c.sm, log.entries.slice(0, -1));
    t.is(await a.digest(), await b.digest());
    t.not(await a.digest(), await c.digest());
  });

  it('a retried write (same client id and sequence) is applied once', async (t) => {
    const once = await subject.open(t);
    const twice = await subject.open(t);
    const log = baseLog(subject);
    const retried = baseLog(subject);
    const write = subject.write('client', 1, 1);
    for (const l of [log, retried]) {
      l.add('command', write);
      l.add('command', subject.undo('other', 1, 1));
    }
    // Applied again, the retry would bring back what the other client undid.
    log.add('noop');
    retried.add('command', write);
    await applyAll(once.sm, log.entries);
    await applyAll(twice.sm, retried.entries);
    t.is(await twice.sm.appliedIndex(), await once.sm.appliedIndex());
    t.is(await twice.digest(), await once.digest());
  });

  it('snapshot then restore on another instance gives the same data and applied index', async (t) => {
    const source = await subject.open(t);
    const target = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 5);
    await applyAll(source.sm, log.entries);
    const data = await source.sm.snapshot();
    await target.sm.restore(snapshotAt(log.entries.length, data));
    t.is(await target.sm.appliedIndex(), log.entries.length);
    t.is(await target.digest(), await source.digest());
  });

  it('taking a snapshot changes nothing, and a restored replica continues the log like its source', async (t) => {
    const source = await subject.open(t);
    const target = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 4);
    await applyAll(source.sm, log.entries);
    const before = await source.digest();
    const data = await source.sm.snapshot();
    t.is(await source.digest(), before);
    await target.sm.restore(snapshotAt(log.entries.length, data));
    const rest = log.entries.length;
    // A retry of a write the snapshot holds must stay deduplicated after the restore.
    log.add('command', subject.undo('undoer', 1, 4));
    log.add('command', log.entries[rest - 1].data);
    addWrites(log, subject, 5, 3);
    await applyAll(source.sm, log.entries.slice(rest));
    await applyAll(target.sm, log.entries.slice(rest));
    t.is(await target.sm.appliedIndex(), await source.sm.appliedIndex());
    t.is(await target.digest(), await source.digest());
  });

  it('restore replaces whatever state the instance held', async (t) => {
    const source = await subject.open(t);
    const target = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 3);
    await applyAll(source.sm, log.entries);
    const other = baseLog(subject);
    addWrites(other, subject, 10, 6);
    await applyAll(target.sm, other.entries);
    await target.sm.restore(snapshotAt(log.entries.length, await source.sm.snapshot()));
    t.is(await target.sm.appliedIndex(), log.entries.length);
    t.is(await target.digest(), await source.digest());
  });

  it('a snapshot whose metadata names another index is refused and changes nothing', async (t) => {
    const source = await subject.open(t);
    const target = await subject.open(t);
    const log = baseLog(subject);
    addWrites(log, subject, 1, 3);
    await applyAll(source.sm, log.entries);
    await applyAll(target.sm, log.entries.slice(0, 2));
    const before = await target.digest();
    await t.throwsAsync(target.sm.restore(snapshotAt(log.entries.length + 1, await source.sm.snapshot())), { instanceOf: RangeError });
    t.is(await target.sm.appliedIndex(), 2);
    t.is(await target.digest(), before);
  });
}
