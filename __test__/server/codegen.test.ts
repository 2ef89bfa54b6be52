import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/temp-dir.js';
import { repoRoot } from './helpers/server-process.js';

const run = promisify(execFile);

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

test('src/gen is what `npm run proto` generates from proto/ (regenerate and commit when this fails)', async (t) => {
  const out = await tempDir(t, 'vxl-gen-');
  await run('bash', [join(repoRoot, 'scripts/gen-proto.sh'), out], { cwd: repoRoot });
  const committed = join(repoRoot, 'src/gen');
  const files = await listFiles(committed);
  t.deepEqual(await listFiles(out), files);
  for (const file of files) {
    t.is(await readFile(join(out, file), 'utf8'), await readFile(join(committed, file), 'utf8'), file);
  }
});
