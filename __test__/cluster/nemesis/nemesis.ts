/**
 * The nemesis: a fault schedule drawn from a seed, then played against real node processes.
 * One fault at a time: a quiet gap, a fault held for a while, then its repair. Targets are
 * "the leader" (whoever leads when the fault starts) or a node picked by the seed, so a seed
 * replays the same schedule, though not the same interleaving of real processes.
 */
import type { SeededRandom } from '../../../cluster/simulation/random.js';
import { sleep, type TestNode } from '../helpers/cluster.js';
import type { Network } from './network.js';

export type FaultKind = 'kill' | 'pause' | 'partition';

export interface Fault {
  kind: FaultKind;
  /** Start with the leader, or with nodes[index]. */
  target: 'leader' | number;
  /** Partitions: how many nodes are cut off together (a minority). */
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

const KINDS: FaultKind[] = ['kill', 'pause', 'partition'];

/** Faults filling `durationMs` (gaps plus holds), all drawn from `random`. */
export function drawSchedule(random: SeededRandom, nodeCount: number, durationMs: number): Fault[] {
  const faults: Fault[] = [];
  let total = 0;
  for (;;) {
    const fault: Fault = {
      kind: random.pick(KINDS),
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
}

/** Plays `faults` in order; every fault is repaired before the next starts and before this resolves. */
export async function runNemesis(faults: readonly Fault[], o: NemesisOptions): Promise<void> {
  for (const fault of faults) {
    await sleep(fault.gapMs);
    const first = fault.target === 'leader' ? ((await currentLeader(o.nodes)) ?? o.nodes[0]) : o.nodes[fault.target];
    const victims = fault.kind === 'partition' ? withOthers(first, fault.sideSize, o) : [first];
    o.events.push({ at: Math.round(o.now()), kind: fault.kind, nodes: victims.map((n) => n.id), holdMs: fault.holdMs });
    await inject(fault.kind, victims, fault.holdMs, o.network);
  }
}

async function inject(kind: FaultKind, victims: TestNode[], holdMs: number, network: Network): Promise<void> {
  switch (kind) {
    case 'kill':
      await victims[0].kill();
      await sleep(holdMs);
      // No options: the same command line as before (its --bootstrap or --join included).
      network.start(victims[0]);
      return;
    case 'pause':
      victims[0].pause();
      await sleep(holdMs);
      victims[0].resume();
      return;
    case 'partition':
      network.partition(victims);
      await sleep(holdMs);
      network.heal();
      return;
  }
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
