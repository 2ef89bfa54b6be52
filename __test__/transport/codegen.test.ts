import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const generated = 'cluster/v1/raft.ts';

test('cluster/transport/gen is what protoc + ts-proto make of raft.proto with the options of scripts/gen-proto.sh', async (t) => {
  const script = await readFile(join(repoRoot, 'scripts/gen-proto.sh'), 'utf8');
  const options = /--ts_proto_opt=\S+/.exec(script)?.[0];
  t.truthy(options, 'scripts/gen-proto.sh names its ts-proto options');
  const out = await tempDir(t, 'vxl-raft-gen-');
  await run(
    'protoc',
    [`--plugin=protoc-gen-ts_proto=${join(repoRoot, 'node_modules/.bin/protoc-gen-ts_proto')}`, `--ts_proto_out=${out}`, options as string, '-I', 'proto', 'proto/cluster/v1/raft.proto'],
    { cwd: repoRoot },
  );
  t.is(await readFile(join(out, generated), 'utf8'), await readFile(join(repoRoot, 'cluster/transport/gen', generated), 'utf8'), 'regenerate: see docs/raft-transport.md');
});
