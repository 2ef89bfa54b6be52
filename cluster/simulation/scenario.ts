/**
 * One simulated run: a cluster under client writes, linearizable reads and a nemesis
 * (partitions, a leader isolated in a minority, crashes, crashes in the middle of disk writes,
 * lossy/duplicating/reordering network, membership changes, leadership transfers), then a
 * healing period in which the cluster must recover within a bound. Invariants are checked
 * after every step; the run is a pure function of its seed.
 */
import type { NodeId } from '../consensus/types.js';
import { encodeKvCommand } from '../state-machine/memory.js';
import { InvariantChecker } from './checker.js';
import { SimCluster, type SimNode } from './cluster.js';
import { CALM_NETWORK } from './network.js';
import type { SeededRandom } from './random.js';

export interface ScenarioOptions {
  seed: number;
  /** Initial voters: 3 or 5. */
  nodes: number;
  /** Simulated ms of faults. */
  faultMs: number;
  /** After healing, the bound (simulated ms) for a leader, every pending write committed and replicas converged. */
  recoveryMs: number;
  clients: number;
}

/** The one scenario that both the test suite and `npm run sim` run, so any failing seed replays with either. */
export const DEFAULT_SCENARIO: Omit<ScenarioOptions, 'seed' | 'nodes'> = {
  faultMs: 2500,
  recoveryMs: 2500,
  clients: 3,
};

export interface ScenarioResult {
  seed: number;
  nodes: number;
  steps: number;
  violations: string[];
  /** Simulated ms at the first violation, or at the end. */
  at: number;
  stats: { acked: number; reads: number; elections: number; snapshotRestores: number; crashes: number; membershipChanges: number };
}

/** A client issues one write at a time, retrying the same sequence number until it is acknowledged. */
class Client {
  seq = 0;
  acked = 0;
  private attempt = 0;
  pending = false;

  constructor(
    readonly id: string,
    private readonly run: Run,
  ) {}

  next(): void {
    this.seq++;
    this.pending = true;
    this.send();
  }

  private send(): void {
    const attempt = ++this.attempt;
    const r = this.run;
    const target = r.pickTarget();
    const retry = (): void => {
      if (attempt !== this.attempt) return;
      r.cluster.scheduler.after(r.rng.between(10, 40), () => this.send());
    };
    if (!target) {
      retry();
      return;
    }
    const seq = this.seq;
    target.driver!
      .propose(encodeKvCommand({ clientId: this.id, seq, key: this.id, value: String(seq) }))
      .then(() => {
        if (seq !== this.seq || !this.pending) return;
        this.pending = false;
        this.acked = seq;
        r.stats.acked++;
        this.attempt++;
        if (r.clientsActive()) r.cluster.scheduler.after(r.rng.between(1, 30), () => this.next());
      }, retry);
    // No answer in time (a deposed leader may never learn the outcome): try elsewhere.
    r.cluster.scheduler.after(500, retry);
  }
}

class Run {
  readonly checker = new InvariantChecker();
  readonly cluster: SimCluster;
  readonly rng: SeededRandom;
  readonly clients: Client[];
  steps = 0;
  healedAt = Infinity;
  stopClientsAt = Infinity;
  stats = { acked: 0, reads: 0, elections: 0, snapshotRestores: 0, crashes: 0, membershipChanges: 0 };
  private lastLeaderTerm = 0;
  /** Async work started by events (node starts, nemesis actions); each step waits for it. */
  private inflight: Promise<unknown>[] = [];

  constructor(readonly opts: ScenarioOptions) {
    this.cluster = new SimCluster(
      { seed: opts.seed, voters: opts.nodes, snapshotThreshold: 30, snapshotTrailing: 5 },
      this.checker,
    );
    this.rng = this.cluster.random.fork();
    this.clients = Array.from({ length: opts.clients }, (_, i) => new Client(`c${i + 1}`, this));
  }

  clientsActive(): boolean {
    return this.cluster.scheduler.now < this.stopClientsAt;
  }

  /** Clients find the leader by trying: a node that believes it leads, or any live node. */
  pickTarget(): SimNode | undefined {
    const leaders = this.cluster.leaders().filter((n) => !this.cluster.network.isPaused(n.id));
    if (leaders.length > 0 && this.rng.chance(0.9)) return this.rng.pick(leaders);
    const up = this.cluster.reachableNodes();
    return up.length > 0 ? this.rng.pick(up) : undefined;
  }

  /** Every member of the latest configuration a live leader knows. */
  members(): NodeId[] {
    const leaders = this.cluster.leaders();
    if (leaders.length === 0) return [];
    const newest = leaders.reduce((a, b) => (a.driver!.status().term >= b.driver!.status().term ? a : b));
    return newest.driver!.status().membership.members.map((m) => m.id);
  }

  scheduleReads(): void {
    this.cluster.scheduler.after(this.rng.between(20, 80), () => {
      if (!this.clientsActive()) return;
      this.read();
      this.scheduleReads();
    });
  }

  /** A linearizable read must see every write acknowledged before it started (§6.4). */
  private read(): void {
    const target = this.pickTarget();
    if (!target) return;
    const before = this.clients.map((c) => [c.id, c.acked] as const);
    const state = target.state!;
    target.driver!.readIndex().then(
      (index) => {
        this.stats.reads++;
        for (const [client, seq] of before) {
          if (state.lastSequence(client) < seq) {
            this.checker.violate(`Linearizable read: ${target.id} read at index ${index} misses ${client}#${seq}, acknowledged before the read began`);
          }
        }
      },
      () => undefined,
    );
  }

  scheduleNemesis(): void {
    this.cluster.scheduler.after(this.rng.between(100, 500), () => {
      if (this.cluster.scheduler.now >= this.opts.faultMs) return;
      this.track(this.nemesis());
      this.scheduleNemesis();
    });
  }

  private async nemesis(): Promise<void> {
    const c = this.cluster;
    const rng = this.rng;
    const ids = [...c.nodes.keys()];
    const action = rng.int(11);
    switch (action) {
      case 0: {
        // A random split.
        const shuffled = [...ids].sort(() => rng.float() - 0.5);
        const cut = rng.between(1, ids.length - 1);
        c.network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        return;
      }
      case 1: {
        // The leader, alone or with one other node, in a minority.
        const leader = c.leaders()[0];
        if (!leader) return;
        const others = ids.filter((id) => id !== leader.id);
        const companion = rng.chance(0.5) && ids.length >= 5 ? [rng.pick(others)] : [];
        const minority = [leader.id, ...companion];
        c.network.partition([minority, ids.filter((id) => !minority.includes(id))]);
        return;
      }
      case 2:
        c.network.heal();
        return;
      case 3: {
        const up = c.upNodes();
        if (up.length === 0) return;
        const victim = rng.pick(up);
        this.stats.crashes++;
        await c.crash(victim.id);
        c.scheduler.after(rng.between(50, 800), () => this.track(c.start(victim.id)));
        return;
      }
      case 4: {
        // Power loss in the middle of one of the next few disk writes.
        const up = c.upNodes();
        if (up.length === 0) return;
        const victim = rng.pick(up);
        victim.disk.armCrash(rng.int(4));
        this.stats.crashes++;
        c.scheduler.after(rng.between(300, 1200), () => this.track(c.start(victim.id)));
        return;
      }
      case 5:
        c.network.conditions = {
          dropRate: rng.float() * 0.2,
          duplicateRate: rng.float() * 0.1,
          minDelay: 1,
          maxDelay: rng.between(2, 30),
          longDelayRate: rng.float() * 0.05,
          longDelay: rng.between(50, 300),
        };
        return;
      case 6:
      case 7:
        await this.changeMembership();
        return;
      case 8: {
        const leader = c.leaders()[0];
        if (!leader) return;
        const voters = leader.driver!.status().membership.members.filter((m) => m.voter && m.id !== leader.id);
        if (voters.length === 0) return;
        leader.driver!.transferLeadership(rng.pick(voters).id).catch(() => undefined);
        return;
      }
      case 9: {
        // Pause a process (the leader, usually): it wakes up believing what it believed.
        const leader = c.leaders()[0];
        const victim = leader && rng.chance(0.7) ? leader : rng.pick([...c.nodes.values()]);
        c.network.pause(victim.id, c.scheduler.now + rng.between(100, 600));
        return;
      }
      default:
        c.network.conditions = CALM_NETWORK;
        return;
    }
  }

  /** Keeps the configuration between N and N+1 members: add a non-member, or remove a member (the leader included). */
  private async changeMembership(): Promise<void> {
    const c = this.cluster;
    const leader = c.leaders()[0];
    if (!leader) return;
    const members = leader.driver!.status().membership.members;
    const outsiders = [...c.nodes.keys()].filter((id) => !members.some((m) => m.id === id));
    const change =
      members.length <= this.opts.nodes && outsiders.length > 0
        ? { type: 'add-learner' as const, member: { id: this.rng.pick(outsiders), raftAddr: '', clusterAddr: '' } }
        : { type: 'remove' as const, id: this.rng.pick(members).id };
    leader.driver!.changeMembership(change).then(
      () => this.stats.membershipChanges++,
      () => undefined,
    );
  }

  heal(): void {
    const c = this.cluster;
    this.healedAt = c.scheduler.now;
    this.stopClientsAt = this.healedAt + this.opts.recoveryMs / 2;
    c.network.heal();
    c.network.conditions = CALM_NETWORK;
    for (const n of c.nodes.values()) {
      n.disk.disarm();
      if (!n.up) this.track(c.start(n.id));
    }
  }

  /** Liveness after healing: a leader, no write left pending, and every member holding the same state. */
  checkRecovered(): void {
    const c = this.cluster;
    const leaders = c.leaders();
    if (leaders.length !== 1) {
      this.checker.violate(`Liveness: ${leaders.length} leaders ${this.opts.recoveryMs} ms after the faults healed`);
      return;
    }
    const pending = this.clients.filter((cl) => cl.pending);
    if (pending.length > 0) {
      this.checker.violate(`Liveness: writes of ${pending.map((p) => `${p.id}#${p.seq}`).join(', ')} not committed ${this.opts.recoveryMs} ms after the faults healed`);
    }
    const leader = leaders[0].driver!.status();
    for (const id of this.members()) {
      const n = c.node(id);
      if (!n.up) {
        this.checker.violate(`Liveness: member ${id} is down after healing`);
        continue;
      }
      const s = n.driver!.status();
      if (s.applied !== leader.commit) {
        this.checker.violate(`Liveness: member ${id} applied ${s.applied}, the leader's commit index is ${leader.commit}`);
      } else if (n.state!.digest() !== leaders[0].state!.digest()) {
        this.checker.violate(`Convergence: member ${id} holds different data than the leader at the same applied index`);
      }
    }
    for (const cl of this.clients) {
      if (leaders[0].state!.lastSequence(cl.id) < cl.acked) this.checker.violate(`Durability: acknowledged write ${cl.id}#${cl.acked} is missing`);
    }
  }

  track(work: Promise<unknown>): void {
    this.inflight.push(work);
  }

  /** Waits until the last event's consequences have played out on every node. */
  async quiesce(): Promise<void> {
    while (this.inflight.length > 0) await this.inflight.shift();
    await this.cluster.settle();
  }

  observe(): void {
    const views = this.cluster.views();
    for (const v of views) {
      if (v.status.role === 'leader' && v.status.term > this.lastLeaderTerm) {
        this.lastLeaderTerm = v.status.term;
        this.stats.elections++;
      }
    }
    this.checker.afterStep(views);
  }
}

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  const run = new Run(opts);
  const c = run.cluster;
  for (const id of c.initialVoters) await c.start(id);
  await c.start(`n${opts.nodes + 1}`); // the spare: empty, joins when added
  for (const client of run.clients) c.scheduler.after(run.rng.between(1, 50), () => client.next());
  run.scheduleReads();
  run.scheduleNemesis();
  c.scheduler.at(opts.faultMs, () => run.heal());
  const end = opts.faultMs + opts.recoveryMs;
  let checked = false;
  c.scheduler.at(end, () => {
    run.checkRecovered();
    checked = true;
  });
  while (!checked && run.checker.violations.length === 0 && c.scheduler.runNext()) {
    await run.quiesce();
    run.observe();
    run.steps++;
  }
  return {
    seed: opts.seed,
    nodes: opts.nodes,
    steps: run.steps,
    violations: run.checker.violations,
    at: c.scheduler.now,
    stats: { ...run.stats, snapshotRestores: c.snapshotRestores },
  };
}
