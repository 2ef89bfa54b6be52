/**
 * The nemesis: a fault schedule drawn from a seed, then played against real node processes.
 * One fault at a time: a quiet gap, a fault held for a while, then its repair. Targets are
 * "the leader" (whoever leads when the fault starts) or a node picked by the seed, so a seed
 * replays the same schedule, though not the same interleaving of real processes.
 */
import type { SeededRandom } from '../../../cluster/simulation/random.js';
import { sleep, WAIT_LIMIT_MS, waitFor, type TestNode } from '../helpers/cluster.js';
import type { Network } from './network.js';

export type FaultKind = 'kill' | 'pause' | 'partition' | 'deaf' | 'kill-all';

export interface Fault {
  kind: FaultKind;
  /** Start with the leader, or with nodes[index]. */
  target: 'leader' | number;
  /** Partitions (and deaf ones): how many nodes are cut off together (a minority). */
  sideSize: number;
  gapMs: number;
  holdMs: number;
}

/** What was done, for the summary and for reading a failure. */
export interface FaultEvent {
  at: number;
  kind: FaultKind;
  nodes: string[];
  holdMs: number;
}

/**
 * A restarted node takes seconds to load on a busy machine (20 s seen for three at once at
 * load 20 on two cores); the kill counts as repaired once it answers, so the next fault never
 * lands on a node still starting. Longer than this and the restart itself is broken.
 */
const RESTART_LIMIT_MS = WAIT_LIMIT_MS;

/**
 * Relative weights. kill-all (every node SIGKILLed at once, then all restarted) is the one
 * fault beyond a minority: only what was fsynced survives it, so it tests that an
 * acknowledged write was durable on a majority, not just held in memory.
 */
const WEIGHTS: ReadonlyArray<[FaultKind, number]> = [
  ['kill', 3],
  ['pause', 3],
  ['partition', 3],
  // A one-way cut: the side's Raft messages still arrive (vote requests, heartbeats), none reach it.
  ['deaf', 2],
  ['kill-all', 1],
];

function drawKind(random: SeededRandom): FaultKind {
  let roll = random.int(WEIGHTS.reduce((sum, [, w]) => sum + w, 0));
  for (const [kind, weight] of WEIGHTS) {
    if (roll < weight) return kind;
    roll -= weight;
  }
  throw new RangeError('weights exhausted');
}

/** Faults filling `durationMs` (gaps plus holds), all drawn from `random`. */
export function drawSchedule(random: SeededRandom, nodeCount: number, durationMs: number): Fault[] {
  const faults: Fault[] = [];
  let total = 0;
  for (;;) {
    const fault: Fault = {
      kind: drawKind(random),
      target: random.chance(0.5) ? 'leader' : random.int(nodeCount),
      sideSize: random.between(1, Math.floor(nodeCount / 2)),
      gapMs: random.between(300, 1_500),
      holdMs: random.between(800, 4_000),
    };
    if (total + fault.gapMs + fault.holdMs > durationMs) return faults;
    total += fault.gapMs + fault.holdMs;
    faults.push(fault);
  }
}

export interface NemesisOptions {
  nodes: readonly TestNode[];
  network: Network;
  random: SeededRandom;
  now: () => number;
  events: FaultEvent[];
  /** Called with each killed node before its restart replaces the process (and its logs). */
  onKilled: (node: TestNode) => void;
}

/** Plays `faults` in order; every fault is repaired before the next starts and before this resolves. */
export async function runNemesis(faults: readonly Fault[], o: NemesisOptions): Promise<void> {
  for (const fault of faults) {
    await sleep(fault.gapMs);
    const first = fault.target === 'leader' ? ((await currentLeader(o.nodes)) ?? o.nodes[0]) : o.nodes[fault.target];
    const victims = fault.kind === 'partition' || fault.kind === 'deaf' ? withOthers(first, fault.sideSize, o) : fault.kind === 'kill-all' ? [...o.nodes] : [first];
    o.events.push({ at: Math.round(o.now()), kind: fault.kind, nodes: victims.map((n) => n.id), holdMs: fault.holdMs });
    await inject(fault.kind, victims, fault.holdMs, o);
  }
}

async function inject(kind: FaultKind, victims: TestNode[], holdMs: number, o: NemesisOptions): Promise<void> {
  const network = o.network;
  switch (kind) {
    case 'kill':
    case 'kill-all':
      await Promise.all(victims.map((n) => n.kill()));
      victims.forEach(o.onKilled);
      await sleep(holdMs);
      // No options: the same command line as before (its --bootstrap or --join included).
      for (const n of victims) network.start(n);
      await answering(victims);
      return;
    case 'pause':
      victims[0].pause();
      await sleep(holdMs);
      victims[0].resume();
      return;
    case 'partition':
    case 'deaf':
      network.partition(victims, kind === 'deaf');
      await sleep(holdMs);
      network.heal();
      return;
  }
}

function answering(nodes: readonly TestNode[]): Promise<unknown> {
  return Promise.all(nodes.map((n) => waitFor(`${n.id} to answer after its restart`, async () => ((await n.info()) ? true : undefined), RESTART_LIMIT_MS)));
}

/** `first` plus `size - 1` more nodes picked by the seed. */
function withOthers(first: TestNode, size: number, o: NemesisOptions): TestNode[] {
  const rest = o.nodes.filter((n) => n !== first);
  const side = [first];
  while (side.length < size) side.push(rest.splice(o.random.int(rest.length), 1)[0]);
  return side;
}

/** The node that says it leads, if one answers quickly. */
async function currentLeader(nodes: readonly TestNode[]): Promise<TestNode | undefined> {
  const answers = await Promise.allSettled(nodes.filter((n) => n.running && !n.paused).map(async (n) => ((await n.info()).state === 'leader' ? n : undefined)));
  for (const answer of answers) if (answer.status === 'fulfilled' && answer.value) return answer.value;
  return undefined;
}
