/**
 * Runs a range of seeds and sums them up; shared by `npm run sim` and the ava simulation tests
 * so both run exactly the same scenario for a given seed.
 */
import { DEFAULT_SCENARIO, runScenario, type ScenarioOptions, type ScenarioResult } from './scenario.js';

export interface SweepOptions {
  from: number;
  count: number;
  /** 3 or 5; when absent, odd seeds run 3 nodes and even seeds 5. */
  nodes?: number;
  scenario?: Partial<Omit<ScenarioOptions, 'seed' | 'nodes'>>;
}

export interface SweepResult {
  seeds: number;
  steps: number;
  violations: number;
  failures: ScenarioResult[];
}

export function nodesForSeed(seed: number, nodes?: number): number {
  return nodes ?? (seed % 2 === 1 ? 3 : 5);
}

export async function sweep(opts: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = { seeds: 0, steps: 0, violations: 0, failures: [] };
  for (let seed = opts.from; seed < opts.from + opts.count; seed++) {
    const r = await runScenario({ ...DEFAULT_SCENARIO, ...opts.scenario, seed, nodes: nodesForSeed(seed, opts.nodes) });
    result.seeds++;
    result.steps += r.steps;
    result.violations += r.violations.length;
    if (r.violations.length > 0) result.failures.push(r);
  }
  return result;
}

/** The one command that replays a seed. */
export function reproduceCommand(r: ScenarioResult): string {
  return `npm run sim -- --from ${r.seed} --count 1 --nodes ${r.nodes}`;
}
