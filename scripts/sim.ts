/**
 * Runs simulated Raft clusters over a range of seeds:
 *
 *   npm run sim -- --from <seed> --count <n> [--nodes 3|5]
 *
 * Prints one line, `seeds N, steps N, violations N`, and exits 1 if any seed broke an
 * invariant, naming each failing seed, what it broke, and the command that replays it.
 */
import { parseArgs } from 'node:util';
import { reproduceCommand, sweep } from '../cluster/simulation/sweep.js';

function main(): Promise<number> | number {
  const { values } = parseArgs({
    options: {
      from: { type: 'string', default: '1' },
      count: { type: 'string', default: '100' },
      nodes: { type: 'string' },
    },
    strict: true,
  });
  const from = Number(values.from);
  const count = Number(values.count);
  const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
  if (!Number.isInteger(from) || !Number.isInteger(count) || count < 1) {
    process.stderr.write('--from and --count must be integers, --count at least 1\n');
    return 2;
  }
  if (nodes !== undefined && nodes !== 3 && nodes !== 5) {
    process.stderr.write('--nodes must be 3 or 5 (default: 3 for odd seeds, 5 for even)\n');
    return 2;
  }
  return sweep({ from, count, nodes }).then((r) => {
    process.stdout.write(`seeds ${r.seeds}, steps ${r.steps}, violations ${r.violations}\n`);
    for (const f of r.failures) {
      process.stderr.write(`seed ${f.seed} (${f.nodes} nodes) failed at ${f.at} ms simulated: ${f.violations.join('; ')}\n  reproduce: ${reproduceCommand(f)}\n`);
    }
    return r.failures.length > 0 ? 1 : 0;
  });
}

process.exitCode = await main();
