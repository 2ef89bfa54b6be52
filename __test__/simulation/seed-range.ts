/** One ava test per seed range, so the 1,000+ seeds spread over test files that run in parallel. */
import test from 'ava';
import { reproduceCommand, sweep } from '../../cluster/simulation/sweep.js';

export function seedRangeTest(from: number, count: number): void {
  const title = `simulation seeds ${from}–${from + count - 1} (odd seeds 3 nodes, even 5): Election Safety, Log Matching, Leader Completeness, State Machine Safety, exactly-once apply, linearizable reads, recovery after healing`;
  test(title, async (t) => {
    const r = await sweep({ from, count });
    const report = r.failures.map((f) => `seed ${f.seed}: ${f.violations.join('; ')}\n  reproduce: ${reproduceCommand(f)}`).join('\n');
    t.is(r.violations, 0, report);
    t.is(r.seeds, count);
    t.true(r.steps / r.seeds > 1000, `only ${Math.round(r.steps / r.seeds)} steps per seed`);
  });
}
