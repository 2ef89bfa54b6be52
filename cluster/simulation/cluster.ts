/**
 * Simulated nodes: each runs the real RaftDriver over a SimDisk, a SimTransport and an
 * in-memory state machine, ticked by the simulated clock. Crashing a node discards its driver,
 * state machine and in-flight messages and keeps only its disk.
 */
import { RaftDriver } from '../consensus/driver.js';
import type { Membership, NodeId, Snapshot, LogEntry } from '../consensus/types.js';
import { MemoryStateMachine, type KvResult } from '../state-machine/memory.js';
import type { StateMachine } from '../state-machine/types.js';
import type { InvariantChecker, NodeView } from './checker.js';
import { SimDisk } from './disk.js';
import { CALM_NETWORK, SimNetwork, type SimTransport } from './network.js';
import { SeededRandom } from './random.js';
import { Scheduler } from './scheduler.js';

export const TICK_MS = 10;

export const SIM_RAFT = {
  electionTicks: 10,
  heartbeatTicks: 2,
  maxInflight: 4,
  maxEntriesPerMessage: 8,
  preVote: true,
  checkQuorum: true,
} as const;

/** The state machine as the checker sees it: every apply is reported, in order. */
class ObservedStateMachine implements StateMachine<KvResult> {
  constructor(
    readonly inner: MemoryStateMachine,
    private readonly node: NodeId,
    private readonly checker: InvariantChecker,
    private readonly onRestore: () => void,
    /** Index applied before this incarnation started (a durable state machine keeps it). */
    private last: number,
  ) {}

  async apply(entry: LogEntry): Promise<KvResult> {
    if (entry.index !== this.last + 1) this.checker.violate(`Applied order: ${this.node} applied ${entry.index} after ${this.last}`);
    this.last = entry.index;
    const result = await this.inner.apply(entry);
    this.checker.onApply(this.node, entry, result);
    return result;
  }

  snapshot(): Promise<Uint8Array> {
    return this.inner.snapshot();
  }

  async restore(snapshot: Snapshot): Promise<void> {
    await this.inner.restore(snapshot);
    this.last = snapshot.meta.index;
    this.onRestore();
  }

  appliedIndex(): Promise<number> {
    return this.inner.appliedIndex();
  }
}

export class SimNode {
  driver: RaftDriver<KvResult> | null = null;
  state: MemoryStateMachine | null = null;
  transport: SimTransport | null = null;
  /** Bumped on every start, so ticks and callbacks of a dead incarnation do nothing. */
  incarnation = 0;
  starting = false;
  readonly termAt = (index: number): number | undefined => this.driver?.termAt(index);

  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
    readonly bootstrap: Membership | undefined,
    /**
     * Set for a node whose state machine is durable, like the engine, which stores the
     * applied index atomically with the data: it survives crashes, and a restart resumes
     * after it instead of rebuilding from snapshot + log. Null: volatile, rebuilt each start.
     */
    readonly durableState: MemoryStateMachine | null,
  ) {}

  get up(): boolean {
    return this.driver !== null;
  }
}

export interface ClusterOptions {
  seed: number;
  /** Initial voters (3 or 5); one more node starts empty, to be added by membership changes. */
  voters: number;
  snapshotThreshold: number;
  snapshotTrailing: number;
}

export class SimCluster {
  readonly random: SeededRandom;
  readonly scheduler = new Scheduler();
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly initialVoters: NodeId[];
  /** State machine restores from a snapshot (at restart or by InstallSnapshot). */
  snapshotRestores = 0;
  private readonly raftRandom: SeededRandom;

  constructor(
    private readonly opts: ClusterOptions,
    readonly checker: InvariantChecker,
  ) {
    this.random = new SeededRandom(opts.seed);
    this.network = new SimNetwork(this.scheduler, this.random.fork());
    this.network.conditions = CALM_NETWORK;
    this.raftRandom = this.random.fork();
    const diskRandom = this.random.fork();
    const ids = Array.from({ length: opts.voters + 1 }, (_, i) => `n${i + 1}`);
    this.initialVoters = ids.slice(0, opts.voters);
    const bootstrap: Membership = {
      members: this.initialVoters.map((id) => ({ id, voter: true, raftAddr: id, clusterAddr: id })),
    };
    for (const id of ids) {
      const disk = new SimDisk(diskRandom.fork(), (entries, prevTerm) => checker.onPersist(id, entries, prevTerm));
      const durable = this.random.chance(0.5) ? new MemoryStateMachine() : null;
      this.nodes.set(id, new SimNode(id, disk, this.initialVoters.includes(id) ? bootstrap : undefined, durable));
    }
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new RangeError(`no node ${id}`);
    return n;
  }

  upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  leaders(): SimNode[] {
    return this.upNodes().filter((n) => n.driver!.status().role === 'leader');
  }

  /** Live nodes whose process is running (not paused): the ones a client can talk to. */
  reachableNodes(): SimNode[] {
    return this.upNodes().filter((n) => !this.network.isPaused(n.id));
  }

  async start(id: NodeId): Promise<void> {
    const node = this.node(id);
    if (node.up || node.starting) return;
    node.starting = true;
    const incarnation = ++node.incarnation;
    const state = node.durableState ?? new MemoryStateMachine();
    const applied = await state.appliedIndex();
    const transport = this.network.transport(id);
    this.checker.onRestart(id);
    node.disk.disarm();
    node.disk.powerCycle();
    const driver = await RaftDriver.open<KvResult>({
      id,
      random: this.raftRandom.fork(),
      stores: node.disk.stores(),
      transport,
      stateMachine: new ObservedStateMachine(state, id, this.checker, () => this.snapshotRestores++, applied),
      raft: SIM_RAFT,
      snapshotThreshold: this.opts.snapshotThreshold,
      snapshotTrailing: this.opts.snapshotTrailing,
      bootstrap: node.bootstrap,
      onFatal: () => {
        // The armed disk crash struck: the process is gone.
        if (node.incarnation === incarnation) this.down(node);
      },
    });
    node.starting = false;
    node.driver = driver;
    node.state = state;
    node.transport = transport;
    const tick = (): void => {
      if (node.incarnation !== incarnation || node.driver === null) return;
      if (!this.network.isPaused(id)) node.driver.tick();
      this.scheduler.after(TICK_MS, tick);
    };
    this.scheduler.after(1 + this.random.int(TICK_MS), tick);
  }

  /** Power loss: only the disk survives. */
  async crash(id: NodeId): Promise<void> {
    const node = this.node(id);
    const driver = node.driver;
    if (driver === null) return;
    this.down(node);
    await driver.close();
  }

  private down(node: SimNode): void {
    node.incarnation++;
    void node.transport?.close();
    node.driver = null;
    node.state = null;
    node.transport = null;
  }

  /** Lets every node finish what the last event started. */
  async settle(): Promise<void> {
    for (const n of this.nodes.values()) if (n.driver?.busy) await n.driver.settle();
  }

  views(): NodeView[] {
    const views: NodeView[] = [];
    for (const n of this.nodes.values()) {
      if (n.driver !== null) views.push({ id: n.id, status: n.driver.status(), termAt: n.termAt });
    }
    return views;
  }
}
