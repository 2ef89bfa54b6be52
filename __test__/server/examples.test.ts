import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from './helpers/server-process.js';

const run = promisify(execFile);

const examples: Array<[string, RegExp[]]> = [
  ['01-basic-usage', [/#1 Vectors in SQLite \(2023\)/, /deleted 3: true/, /rejected as expected: DIMENSION_MISMATCH/, /count: 2/]],
  ['02-advanced-search', [/nearest under 20/, /espresso cup 9\.5/, /in Porto/]],
  ['03-batch-and-snapshots', [/after batch: 1000/, /batch rejected \(ALREADY_EXISTS\); nothing from it was kept: 1000/, /same results on both servers: true/]],
];

for (const [name, expected] of examples) {
  test(`example ${name} runs with one command`, async (t) => {
    const { stdout } = await run(process.execPath, ['--import=tsx', `examples/vectorxlite/ts/${name}/index.ts`], {
      cwd: repoRoot,
      timeout: 120_000,
      env: { ...process.env, VXL_ADDRESS: '' },
    });
    for (const pattern of expected) t.regex(stdout, pattern);
    t.notRegex(stdout, /"level":/, 'server log lines stay out of the example output');
  });
}
