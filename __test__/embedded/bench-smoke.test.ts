import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { runNodeScript } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-dir.js';

// Keeps `npm run bench` from rotting between full runs; the numbers of a tiny run mean nothing.
test('the embedded benchmark runs at a small size and writes its table as JSON', async (t) => {
  const output = join(await tempDir(t), 'bench.json');
  const { code, stdout, stderr } = await runNodeScript(t, 'bench/embedded.ts', [], {
    BENCH_N: '600',
    BENCH_QUERIES: '20',
    BENCH_EF: '16,600',
    BENCH_BATCH: '200',
    BENCH_OUT: output,
  });
  t.is(code, 0, stderr);
  const report = JSON.parse(await readFile(output, 'utf8'));
  t.like(report, { benchmark: 'embedded', parameters: { n: 600, dimension: 128, queries: 20, efValues: [16, 600] } });
  t.is(report.results.search.length, 2);
  const exact = report.results.search[1];
  t.is(exact.vectorxlite.recall, 1, 'ef >= n searches exhaustively');
  t.is(exact.vectorlite.recall, 1);
  for (const row of report.table as string[][]) t.true(row.every((cell) => stdout.includes(cell)), `the JSON holds the printed row ${row[0]}`);
});
