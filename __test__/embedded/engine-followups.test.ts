/**
 * Engine follow-ups reported by other parts of the project: each test failed before its fix.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { repoRoot } from '../helpers/child-process.js';

const run = promisify(execFile);

test('an onProgress that throws is ignored: no DEP0168 warning, the operations and later reports go on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vxl-progress-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const script = join(dir, 'child.mts');
  const api = pathToFileURL(join(repoRoot, 'src/index.ts')).href;
  // maxElements 1 makes every second insert grow the index, which reports progress.
  await writeFile(
    script,
    `import { VectorXLite } from ${JSON.stringify(api)};
let calls = 0;
const db = await VectorXLite.open(':memory:', { onProgress: () => { calls++; throw new Error('progress listener failed'); } });
await db.createCollection({ name: 'c', dimension: 2, maxElements: 1 });
for (let id = 0; id < 5; id++) await db.insert({ collection: 'c', id, vector: [id, 1] });
const hits = await db.search({ collection: 'c', vector: [4, 1], topK: 5 });
await db.close();
console.log(JSON.stringify({ calls, ids: hits.map((h) => h.id).sort() }));
`,
  );
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot });
  const result = JSON.parse(stdout.trim()) as { calls: number; ids: number[] };
  t.true(result.calls >= 2, `onProgress was called ${result.calls} times`);
  t.deepEqual(result.ids, [0, 1, 2, 3, 4]);
  t.false(stderr.includes('DEP0168'), stderr);
  t.false(stderr.includes('progress listener failed'), stderr);
});
