/**
 * Contract suites for the Transport and StateMachine seams; see stores.ts for how a real
 * implementation runs them.
 */
import test from 'ava';
import type { LogEntry, Message } from '../../../cluster/consensus/types.js';
import type { StateMachine } from '../../../cluster/state-machine/types.js';
import type { Transport } from '../../../cluster/transport/types.js';

export interface TransportPair {
  a: Transport;
  b: Transport;
  /** Node ids of a and b. */
  ids: [string, string];
  /** Lets deliveries happen (the event loop, a simulated clock...). */
  flush(): Promise<void>;
}

const sample = (from: string, to: string): Message[] => [
  { type: 'RequestVote', from, to, term: 3, preVote: true, lastLogIndex: 9, lastLogTerm: 2, transfer: false },
  { type: 'RequestVoteResponse', from, to, term: 3, preVote: false, granted: true },
  { type: 'AppendEntries', from, to, term: 3, prevLogIndex: 4, prevLogTerm: 2, leaderCommit: 4, entries: [{ index: 5, term: 3, type: 'command', data: Uint8Array.from([0, 1, 254]) }] },
  { type: 'AppendEntriesResponse', from, to, term: 3, success: false, matchIndex: 0, conflictTerm: 2, conflictIndex: 3 },
  { type: 'Heartbeat', from, to, term: 3, commit: 4, readContext: 12 },
  { type: 'HeartbeatResponse', from, to, term: 3, readContext: 12 },
  {
    type: 'InstallSnapshot',
    from,
    to,
    term: 3,
    snapshot: { meta: { index: 40, term: 3, membership: { members: [{ id: from, voter: true, raftAddr: 'x', clusterAddr: 'y' }] } }, data: new Uint8Array(300_000).fill(7) },
  },
  { type: 'InstallSnapshotResponse', from, to, term: 3, matchIndex: 40 },
  { type: 'TimeoutNow', from, to, term: 3 },
];

function plain(m: Message): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)));
}

export function transportContract(name: string, connect: () => Promise<TransportPair>): void {
  test(`Transport contract (${name}): every message type arrives intact`, async (t) => {
    const { a, b, ids, flush } = await connect();
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    a.onMessage(() => undefined);
    const messages = sample(ids[0], ids[1]);
    for (const m of messages) a.send(m);
    for (let i = 0; i < 50 && got.length < messages.length; i++) await flush();
    const byType = (list: Message[]) => [...list].sort((x, y) => x.type.localeCompare(y.type)).map(plain);
    t.deepEqual(byType(got), byType(messages));
    await a.close();
    await b.close();
  });

  test(`Transport contract (${name}): sending to an unknown peer or after close neither throws nor delivers; close is idempotent`, async (t) => {
    const { a, b, ids, flush } = await connect();
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    t.notThrows(() => a.send({ type: 'TimeoutNow', from: ids[0], to: 'nobody', term: 1 }));
    await a.close();
    await a.close();
    t.notThrows(() => a.send({ type: 'TimeoutNow', from: ids[0], to: ids[1], term: 1 }));
    await flush();
    t.deepEqual(got, []);
    await b.close();
  });
}

export interface StateMachineFactory<R> {
  create(): StateMachine<R> | Promise<StateMachine<R>>;
  /** A valid command; different `n` give different effects. */
  command(n: number): Uint8Array;
  /** A canonical rendering of the state, equal for equal states. */
  digest(sm: StateMachine<R>): Promise<string>;
}

function entries(factory: StateMachineFactory<unknown>, count: number): LogEntry[] {
  const out: LogEntry[] = [{ index: 1, term: 1, type: 'noop', data: new Uint8Array() }];
  for (let i = 2; i <= count; i++) out.push({ index: i, term: 1, type: 'command', data: factory.command(i) });
  return out;
}

export function stateMachineContract<R>(name: string, factory: StateMachineFactory<R>): void {
  test(`StateMachine contract (${name}): applying the same log on two fresh replicas gives the same state`, async (t) => {
    const log = entries(factory as StateMachineFactory<unknown>, 20);
    const a = await factory.create();
    const b = await factory.create();
    for (const e of log) await a.apply(e);
    for (const e of log) await b.apply(e);
    t.is(await a.appliedIndex(), 20);
    t.is(await factory.digest(a), await factory.digest(b));
  });

  test(`StateMachine contract (${name}): a snapshot restores an equal state at its index elsewhere`, async (t) => {
    const log = entries(factory as StateMachineFactory<unknown>, 12);
    const a = await factory.create();
    for (const e of log.slice(0, 8)) await a.apply(e);
    const data = await a.snapshot();
    const b = await factory.create();
    await b.apply(log[0]);
    await b.restore({ meta: { index: 8, term: 1, membership: { members: [] } }, data });
    t.is(await b.appliedIndex(), 8);
    for (const e of log.slice(8)) {
      await a.apply(e);
      await b.apply(e);
    }
    t.is(await factory.digest(a), await factory.digest(b));
  });
}
