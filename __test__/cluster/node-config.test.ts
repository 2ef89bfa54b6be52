/** Settings of vectorxlite-cluster: YAML under flags, defaults, and the refusals that say how to fix them. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { NODE_DEFAULTS, parseNodeCommandLine } from '../../cluster/node/config.js';
import { runNodeScript } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const REQUIRED = ['--id', 'n1', '--raft-addr', '127.0.0.1:5001', '--cluster-addr', '127.0.0.1:5002', '--data-dir', '/tmp/n1'];

function config(argv: string[]) {
  const parsed = parseNodeCommandLine(argv);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
}

test('flags override the YAML file, which overrides the defaults', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'node.yaml');
  await writeFile(file, 'id: from-yaml\nraft-addr: 127.0.0.1:7001\ncluster-addr: 127.0.0.1:7002\ndata-dir: data/n\nbootstrap: true\nmetrics-port: 9101\ntick-ms: 20\n');
  const c = config(['--config', file, '--id', 'from-flag', '--no-forward']);
  t.is(c.id, 'from-flag');
  t.is(c.raftAddr, '127.0.0.1:7001');
  t.true(c.bootstrap);
  t.is(c.metricsPort, 9101);
  t.is(c.tickMs, 20);
  t.false(c.forward);
  t.is(c.electionTicks, NODE_DEFAULTS.electionTicks);
  t.is(c.snapshotThreshold, NODE_DEFAULTS.snapshotThreshold);
});

test('the shipped configs/node1..3.yaml parse', (t) => {
  for (const n of [1, 2, 3]) {
    const c = config(['--config', `configs/node${n}.yaml`]);
    t.is(c.id, `node${n}`);
    t.is(c.raftAddr, `127.0.0.1:${5001 + (n - 1) * 10}`);
    t.is(c.clusterAddr, `127.0.0.1:${5002 + (n - 1) * 10}`);
    t.is(c.bootstrap, n === 1);
    t.is(c.join, n === 1 ? undefined : '127.0.0.1:5002');
  }
});

test('bad settings are refused with a sentence naming them', async (t) => {
  const refused = (argv: string[], pattern: RegExp) => t.throws(() => parseNodeCommandLine(argv), { message: pattern });
  refused(REQUIRED.slice(2), /--id is required/);
  refused([...REQUIRED, '--raft-addr', 'nowhere'], /--raft-addr must be host:port/);
  refused([...REQUIRED, '--bootstrap', '--join', '127.0.0.1:1'], /exclude each other/);
  refused([...REQUIRED, '--tls-cert', 'c.pem'], /--tls-cert and --tls-key must be given together/);
  refused([...REQUIRED, '--tick-ms', '0'], /--tick-ms must be an integer from 1/);
  refused([...REQUIRED, '--heartbeat-ticks', '10'], /--heartbeat-ticks must be below --election-ticks/);
  refused([...REQUIRED, '--vector-addr', 'nowhere'], /--vector-addr must be host:port/);
  refused([...REQUIRED, '--vector-token', 't'], /--vector-token needs --vector-addr/);
  refused([...REQUIRED, '--frobnicate'], /--help/);
  const dir = await tempDir(t);
  await writeFile(join(dir, 'bad.yaml'), 'id: n1\nraft_addr: 127.0.0.1:1\n');
  refused(['--config', join(dir, 'bad.yaml')], /unknown setting "raft_addr"/);
});

test('the command exits 2 with the reason on stderr for bad flags', async (t) => {
  const result = await runNodeScript(t, 'cluster/node/main.ts', [...REQUIRED, '--bootstrap', '--join', '127.0.0.1:5002']);
  t.is(result.code, 2);
  t.regex(result.stderr, /vectorxlite-cluster: --bootstrap and --join exclude each other/);
  const help = await runNodeScript(t, 'cluster/node/main.ts', ['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /--snapshot-threshold/);
});
