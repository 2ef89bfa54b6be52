/**
 * A hand-driven network of bare Raft instances for the rule-by-rule tests: nothing happens
 * unless the test ticks a node or delivers messages, so each test reads like the paper's
 * scenario. Persistence is implicit (the in-memory log is the durable one here).
 */
import { encodeMembership } from '../../cluster/consensus/membership.js';
import { Raft, type RaftConfig } from '../../cluster/consensus/raft.js';
import type { HardState, LogEntry, Membership, Message, NodeId, ReadState, Snapshot } from '../../cluster/consensus/types.js';
import { SeededRandom } from '../../cluster/simulation/random.js';

export function membership(voters: NodeId[], learners: NodeId[] = []): Membership {
  return {
    members: [
      ...voters.map((id) => ({ id, voter: true, raftAddr: id, clusterAddr: id })),
      ...learners.map((id) => ({ id, voter: false, raftAddr: id, clusterAddr: id })),
    ],
  };
}

export function configEntry(index: number, term: number, m: Membership): LogEntry {
  return { index, term, type: 'config', data: encodeMembership(m) };
}

export function command(index: number, term: number, text = `cmd${index}`): LogEntry {
  return { index, term, type: 'command', data: new TextEncoder().encode(text) };
}

/** A log starting with the bootstrap config entry (index 1, term 1) followed by entries of the given terms. */
export function logWithTerms(voters: NodeId[], terms: number[]): LogEntry[] {
  return [configEntry(1, 1, membership(voters)), ...terms.map((t, i) => command(i + 2, t))];
}

export interface NodeSetup {
  entries?: LogEntry[];
  hardState?: HardState;
  snapshot?: Snapshot | null;
  applied?: number;
  config?: Partial<Omit<RaftConfig, 'id' | 'random'>>;
}

export const TEST_CONFIG = {
  electionTicks: 10,
  heartbeatTicks: 1,
  maxInflight: 4,
  maxEntriesPerMessage: 100,
  preVote: true,
  checkQuorum: true,
} as const;

export class TestNet {
  readonly nodes = new Map<NodeId, Raft>();
  readonly applied = new Map<NodeId, LogEntry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  readonly persistedEntries = new Map<NodeId, LogEntry[][]>();
  /** Messages waiting for delivery, in send order. */
  queue: Message[] = [];
  /** Every message ever sent, for assertions on what went over the wire. */
  sent: Message[] = [];
  private cut = new Set<string>();

  constructor(voters: NodeId[], setups: Record<NodeId, NodeSetup> = {}, seed = 1) {
    const random = new SeededRandom(seed);
    const ids = new Set([...voters, ...Object.keys(setups)]);
    for (const id of ids) this.add(id, voters, setups[id] ?? {}, random.fork());
  }

  add(id: NodeId, voters: NodeId[], setup: NodeSetup, random = new SeededRandom(id.length * 7919)): Raft {
    const entries = setup.entries ?? (voters.includes(id) ? logWithTerms(voters, []) : []);
    const raft = new Raft(
      { ...TEST_CONFIG, ...setup.config, id, random },
      {
        hardState: setup.hardState ?? { term: entries.at(-1)?.term ?? 0, vote: null, commit: 0 },
        snapshot: setup.snapshot ?? null,
        entries,
        applied: setup.applied ?? 0,
      },
    );
    this.nodes.set(id, raft);
    this.applied.set(id, []);
    this.readStates.set(id, []);
    this.persistedEntries.set(id, []);
    this.collect(id);
    return raft;
  }

  node(id: NodeId): Raft {
    const n = this.nodes.get(id);
    if (!n) throw new RangeError(id);
    return n;
  }

  /** Drops every message between `a` and `b`, both ways. */
  disconnect(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.disconnect(id, other);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Handles every pending Ready of `id`: records applies and read states, queues messages. */
  collect(id: NodeId): void {
    const raft = this.node(id);
    while (raft.hasReady()) {
      const rd = raft.ready();
      if (rd.entries.length > 0) this.persistedEntries.get(id)!.push(rd.entries);
      this.applied.get(id)!.push(...rd.committedEntries);
      this.readStates.get(id)!.push(...rd.readStates);
      for (const m of rd.messages) {
        this.sent.push(m);
        if (!this.cut.has(`${m.from}>${m.to}`)) this.queue.push(m);
      }
      raft.advance(rd);
    }
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.node(id).tick();
      this.collect(id);
    }
  }

  /** Delivers queued messages (and the replies they cause) until none is left; `filter` may drop some. */
  deliverAll(filter: (m: Message) => boolean = () => true, limit = 10_000): void {
    let delivered = 0;
    while (this.queue.length > 0) {
      if (++delivered > limit) throw new Error('messages keep flowing: livelock?');
      const m = this.queue.shift()!;
      if (!filter(m) || this.cut.has(`${m.from}>${m.to}`)) continue;
      const target = this.nodes.get(m.to);
      if (!target) continue;
      target.step(m);
      this.collect(m.to);
    }
  }

  /** Makes `id` campaign by ticking it past any election timeout, then runs the election to its end. */
  elect(id: NodeId): void {
    for (let i = 0; i < 2 * TEST_CONFIG.electionTicks && this.node(id).status().role === 'follower'; i++) this.tick(id);
    this.deliverAll();
  }

  propose(id: NodeId, text: string): { index: number; term: number } {
    const r = this.node(id).propose(new TextEncoder().encode(text));
    this.collect(id);
    return r;
  }

  /** Leader heartbeats until followers learn the commit index. */
  heartbeat(leader: NodeId): void {
    this.tick(leader, TEST_CONFIG.heartbeatTicks);
    this.deliverAll();
  }

  appliedTexts(id: NodeId): string[] {
    return this.applied
      .get(id)!
      .filter((e) => e.type === 'command')
      .map((e) => new TextDecoder().decode(e.data));
  }
}
