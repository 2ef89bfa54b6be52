import test from 'ava';
import { runNodeScript } from '../helpers/child-process.js';

test('examples/embedded/basic.ts runs and prints the filtered nearest products', async (t) => {
  const { code, stdout, stderr } = await runNodeScript(t, 'examples/embedded/basic.ts');
  t.is(code, 0, stderr);
  const lines = stdout.trim().split('\n');
  t.is(lines.length, 2, stdout);
  t.regex(lines[0]!, /^id=1 name=red sneakers price=120 distance=0\.0\d{3}$/);
  t.regex(lines[1]!, /^id=3 name=blue cap price=40 distance=0\.\d{4}$/);
});
