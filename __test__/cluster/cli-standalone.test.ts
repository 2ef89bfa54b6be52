import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import test from 'ava';
import { freePort, repoRoot, ServerProcess } from '../server/helpers/server-process.js';
import type { StandaloneBackup } from '../../cluster/cli/backup.js';
import { COMMANDS } from '../../cluster/cli/commands.js';
import { VectorXLiteClient } from '../../src/client/client.js';
import { VectorXLite } from '../../src/embedded/database.js';
import { spawnNodeScript } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from './helpers/cluster.js';
import { vxctl, vxctlJson } from './helpers/vxctl.js';

const TITLE_SCHEMA = 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)';

test('every data command against a standalone server, with --json output parsed', async (t) => {
  const server = await ServerProcess.start(t);
  const target = ['--standalone', '--addr', server.address];

  t.deepEqual(await vxctlJson(['create-collection', ...target, '--collection', 'docs', '--dimension', '3', '--distance', 'l2', '--schema', TITLE_SCHEMA]), { ok: true });
  t.deepEqual(await vxctlJson(['exists', ...target, '--collection', 'docs']), { exists: true });
  t.deepEqual(await vxctlJson(['exists', ...target, '--collection', 'nope']), { exists: false });

  await vxctlJson(['insert', ...target, '--collection', 'docs', '--id', '1', '--vector', '[1,0,0]', '--payload', "INSERT INTO docs (title) VALUES ('one')"]);
  await vxctlJson(['insert', ...target, '--collection', 'docs', '--id', '2', '--vector', '0,1,0', '--payload', "INSERT INTO docs (title) VALUES ('two')"]);
  await vxctlJson(['insert', ...target, '--collection', 'docs', '--id=3', '--vector=-1,0,0']);

  const hits = await vxctlJson<Array<{ id: number; distance: number; payload: Record<string, unknown> }>>([
    'search', ...target, '--collection', 'docs', '--vector', '0.9,0.1,0', '--top-k', '2', '--payload', 'SELECT rowid, title FROM docs',
  ]);
  t.deepEqual(
    hits.map((h) => [h.id, h.payload.title]),
    [
      [1, 'one'],
      [2, 'two'],
    ],
  );
  t.true(hits[0].distance < hits[1].distance);

  t.deepEqual(await vxctlJson(['delete', ...target, '--collection', 'docs', '--id', '2']), { ok: true, existed: true });
  t.deepEqual(await vxctlJson(['delete', ...target, '--collection', 'docs', '--id', '2']), { ok: true, existed: false });
  const left = await vxctlJson<Array<{ id: number }>>(['search', ...target, '--collection', 'docs', '--vector', '0,1,0']);
  t.deepEqual(left.map((h) => h.id).sort((a, b) => a - b), [1, 3]);

  t.deepEqual(await vxctlJson(['delete-collection', ...target, '--collection', 'docs']), { ok: true });
  t.deepEqual(await vxctlJson(['exists', ...target, '--collection', 'docs']), { exists: false });
});

test('global flags may come before the command as well as after it', async (t) => {
  const server = await ServerProcess.start(t);
  t.deepEqual(await vxctlJson(['--standalone', '--addr', server.address, 'create-collection', '--collection', 'docs', '--dimension', '2']), { ok: true });
  t.deepEqual(await vxctlJson([`--addr=${server.address}`, '--standalone', 'exists', '--collection', 'docs']), { exists: true });
  const usage = await vxctl(['--addr', server.address, '--standalone']);
  t.is(usage.code, 2, 'flags without a command are a usage error');
});

test('human-readable output: a search prints a table with the payload columns', async (t) => {
  const server = await ServerProcess.start(t);
  const target = ['--standalone', '--addr', server.address];
  t.is((await vxctl(['create-collection', ...target, '--collection', 'docs', '--dimension', '2', '--schema', TITLE_SCHEMA])).stdout, 'created collection docs\n');
  await vxctlJson(['insert', ...target, '--collection', 'docs', '--id', '7', '--vector', '1,0', '--payload', "INSERT INTO docs (title) VALUES ('seven')"]);

  const search = await vxctl(['search', ...target, '--collection', 'docs', '--vector', '1,0', '--payload', 'SELECT title FROM docs']);
  t.is(search.code, 0);
  const [header, row, ...rest] = search.stdout.trimEnd().split('\n');
  t.deepEqual(header.split(/\s+/), ['ID', 'DISTANCE', 'TITLE']);
  t.deepEqual(row.split(/\s+/), ['7', '0.000000', 'seven']);
  t.deepEqual(rest, []);

  t.is((await vxctl(['exists', ...target, '--collection', 'docs'])).stdout, 'collection docs exists\n');
  t.is((await vxctl(['delete', ...target, '--collection', 'docs', '--id', '8'])).stdout, 'no point 8 in docs; nothing deleted\n');
});

test('a server refusal exits 1 and prints its code, as text or as JSON', async (t) => {
  const server = await ServerProcess.start(t);
  const target = ['--standalone', '--addr', server.address];

  const text = await vxctl(['insert', ...target, '--collection', 'missing', '--id', '1', '--vector', '1,2']);
  t.is(text.code, 1);
  t.regex(text.stderr, /^error: NOT_FOUND: /);
  t.is(text.stdout, '');

  await vxctlJson(['create-collection', ...target, '--collection', 'docs', '--dimension', '2']);
  const json = await vxctl(['insert', ...target, '--collection', 'docs', '--id', '1', '--vector', '1,2,3', '--json']);
  t.is(json.code, 1);
  t.is((JSON.parse(json.stderr) as { error: { code: string } }).error.code, 'DIMENSION_MISMATCH');
});

test('the token comes from --token or VXL_AUTH_TOKEN; without it the server refuses with UNAUTHENTICATED', async (t) => {
  const server = await ServerProcess.start(t, { args: ['--auth-token', 's3cret'] });
  const target = ['--standalone', '--addr', server.address];

  const refused = await vxctl(['exists', ...target, '--collection', 'docs']);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /^error: UNAUTHENTICATED: /);
  t.deepEqual(await vxctlJson(['exists', ...target, '--collection', 'docs', '--token', 's3cret']), { exists: false });
  t.deepEqual(await vxctlJson(['exists', ...target, '--collection', 'docs'], { VXL_AUTH_TOKEN: 's3cret' }), { exists: false });
});

test('usage errors exit 2 and say what to fix, without contacting anyone', async (t) => {
  // Nothing listens on this port: a usage error must be found before any call.
  const target = ['--standalone', '--addr', `127.0.0.1:${await freePort()}`];
  const cases: Array<[string[], RegExp]> = [
    [[], /Usage: vxctl <command>/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['insert', ...target, '--collection', 'c', '--vector', '1,2'], /--id is required/],
    [['insert', ...target, '--collection', 'c', '--id', '1.5', '--vector', '1,2'], /--id must be an integer/],
    [['insert', ...target, '--collection', 'c', '--id', '1', '--vector', '1,,2'], /--vector must be a non-empty list of finite numbers/],
    [['insert', ...target, '--collection', 'c', '--id', '1', '--vector', '[1,'], /--vector is not valid JSON/],
    [['search', ...target, '--collection', 'c', '--vector', '1', '--top-k', '0'], /--top-k must be an integer of at least 1/],
    [['search', ...target, '--collection', 'c', '--vector', '1', '--consistency', 'none'], /--consistency applies to clusters only/],
    [['create-collection', ...target, '--collection', 'c', '--dimension', '2', '--distance', 'manhattan'], /--distance must be one of cosine, l2, ip/],
    [['exists', ...target, '--collection', 'c', '--bogus'], /Unknown option '--bogus'/],
    [['exists', ...target, 'c'], /positional/i],
    [['info', ...target], /info works against a cluster only/],
    [['join', ...target, '--node-id', 'n', '--raft-addr', 'h:1', '--cluster-addr', 'h:2'], /join works against a cluster only/],
    [['exists', '--addr', 'nohost', '--collection', 'c'], /--addr must be host:port/],
    [['exists', '--standalone', '--addr', 'a:1,b:2', '--collection', 'c'], /--addr takes one host:port with --standalone/],
    [['exists', ...target, '--collection', 'c', '--tls-ca', '/nonexistent/ca.pem'], /--tls-ca cannot be read/],
    [['exists', ...target, '--collection', 'c', '--deadline-ms', '0'], /--deadline-ms must be an integer of at least 1/],
  ];
  for (const [args, message] of cases) {
    const r = await vxctl(args);
    t.is(r.code, 2, `vxctl ${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.is(r.stdout, '');
  }
});

test('--help prints the command usage with examples and exits 0', async (t) => {
  for (const command of ['info', 'create-collection', 'insert', 'search', 'delete', 'delete-collection', 'exists', 'join', 'leave', 'backup']) {
    const r = await vxctl([command, '--help']);
    t.is(r.code, 0);
    t.true(r.stdout.startsWith(`Usage: vxctl ${command} [flags]`));
    t.regex(r.stdout, new RegExp(`Examples:\\n  vxctl ${command} `));
  }
  const main = await vxctl(['--help']);
  t.is(main.code, 0);
  t.regex(main.stdout, /leave\s+remove a node from the cluster \(cluster only\)/);
});

test('the vxctl bin: a node script with a shebang whose exit status is 0, 1 or 2', async (t) => {
  t.true((await readFile(new URL('../../cluster/cli/main.ts', import.meta.url), 'utf8')).startsWith('#!/usr/bin/env node\n'));
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
  t.is(pkg.bin.vxctl, 'dist/cluster/cli/main.js');

  const server = await ServerProcess.start(t);
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cluster/cli/main.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      t.teardown(() => {
        child.kill('SIGKILL');
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  const ok = await run(['exists', '--standalone', '--addr', server.address, '--collection', 'docs', '--json']);
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(JSON.parse(ok.stdout), { exists: false });
  const failed = await run(['delete-collection', '--standalone', '--addr', server.address, '--collection', 'docs']);
  t.is(failed.code, 1);
  t.regex(failed.stderr, /^error: NOT_FOUND: /);
  const usage = await run(['exists', '--standalone']);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--collection is required/);
});

test('backup --standalone: the server\'s snapshot saved as a verified file that imports to the same data', async (t) => {
  const server = await ServerProcess.start(t);
  const target = ['--standalone', '--addr', server.address];
  await vxctlJson(['create-collection', ...target, '--collection', 'docs', '--dimension', '3', '--schema', TITLE_SCHEMA]);
  for (const id of [1, 2, 3]) await vxctlJson(['insert', ...target, '--collection', 'docs', '--id', String(id), '--vector', `${id},1,0`, '--payload', `INSERT INTO docs (title) VALUES ('t${id}')`]);
  const dir = await tempDir(t);
  const out = join(dir, 'server.vxlsnap');

  const saved = await vxctlJson<StandaloneBackup>(['backup', ...target, '--out', out, '--chunk-size', '1000']);
  t.is(saved.file, out);
  t.is(saved.via, server.address);
  const bytes = await readFile(out);
  t.is(bytes.length, saved.size);
  t.is(createHash('sha256').update(bytes).digest('hex'), saved.sha256);
  t.deepEqual(await readdir(dir), ['server.vxlsnap'], 'no temporary file is left behind');

  const client = new VectorXLiteClient(server.address);
  t.teardown(() => client.close());
  const db = await VectorXLite.open(join(await tempDir(t), 'imported.db'));
  t.teardown(() => db.close());
  t.is((await db.importSnapshot(out)).snapshotId, saved.snapshotId);
  t.is(await db.digest(), await client.digest(), 'the file holds exactly the server\'s data');

  // Taken again over the same file, as text: the same lines as a cluster's, but the source.
  const text = await vxctl(['backup', ...target, '--out', out]);
  t.is(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  t.is(lines[0], `backup written to ${out} and verified (every SHA-256 matches)`);
  t.is(lines[2], `  taken by the standalone server at ${server.address}`);

  const noDir = await vxctl(['backup', ...target, '--out', join(dir, 'missing', 'b.vxlsnap')]);
  t.is(noDir.code, 1);
  t.regex(noDir.stderr, /^error: IO_ERROR: cannot write the backup next to /);
  t.deepEqual(await readdir(dir), ['server.vxlsnap']);
});

test('an interrupted vxctl backup (SIGINT, SIGTERM) removes its unfinished file and exits 128+signal', async (t) => {
  const server = await ServerProcess.start(t);
  const client = new VectorXLiteClient(server.address);
  t.teardown(() => client.close());
  await client.createCollection({ name: 'docs', dimension: 16 });
  await client.insertBatch('docs', Array.from({ length: 500 }, (_, i) => ({ id: i + 1, vector: Array.from({ length: 16 }, (_, d) => Math.sin(i + d)) })));

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const dir = await tempDir(t);
    // One byte per message: the stream lasts long enough to be interrupted mid-way.
    const vxctlBin = spawnNodeScript(t, 'cluster/cli/main.ts', ['backup', '--standalone', '--addr', server.address, '--out', join(dir, 'b.vxlsnap'), '--chunk-size', '1', '--deadline-ms', '600000']);
    // The staging directory holds the file being written once the stream has begun.
    await waitFor('the backup to be under way', async () => {
      for (const entry of await readdir(dir)) if ((await readdir(join(dir, entry)).catch(() => [])).length > 0) return true;
      return undefined;
    });
    const exit = await vxctlBin.kill(signal);
    t.is(exit.code, 128 + constants.signals[signal], vxctlBin.stderr);
    t.regex(vxctlBin.stderr, new RegExp(`^vxctl: ${signal}: removed the unfinished backup`));
    t.deepEqual(await readdir(dir), [], `nothing is left after ${signal}`);
  }
});

/** Words of a shell command line: "..." and '...' quote, nothing else is special. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

test('the examples in docs/cli.md and in --help are valid command lines', async (t) => {
  const doc = await readFile(new URL('../../docs/cli.md', import.meta.url), 'utf8');
  const fromDoc = doc
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('$ vxctl '))
    .map((line) => line.slice('$ '.length));
  const fromHelp = COMMANDS.flatMap((c) => c.examples);
  t.true(fromDoc.length >= COMMANDS.length);
  // Nothing listens there: a valid command line gets as far as the call and fails with
  // UNAVAILABLE (status 1); a usage mistake would exit 2 first.
  const nowhere = ['--addr', `127.0.0.1:${await freePort()}`, '--deadline-ms', '300'];
  // An example's --out names a place in the user's directory; here it goes to an existing temp dir.
  const outDir = await tempDir(t);
  for (const example of [...fromDoc, ...fromHelp]) {
    const args = shellWords(example)
      .slice(1)
      .map((word, i, words) => (words[i - 1] === '--out' ? join(outDir, basename(word)) : word));
    if (args.includes('--help')) continue;
    const r = await vxctl([...args, ...nowhere]);
    t.is(r.code, 1, `${example}: ${r.stderr}`);
    t.regex(r.stderr, /UNAVAILABLE|DEADLINE_EXCEEDED/, example);
  }
});
