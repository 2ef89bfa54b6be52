/**
 * `vectorxlite/cluster` is client-only: importing the built entry by package name, and making
 * a ClusterClient call, loads none of a node's runtime, no better-sqlite3 and no native
 * library. The node's parts are `vectorxlite/cluster/node`, which does load them; that and an
 * embedded open, probed the same way, show the probe sees such loads when they happen.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { repoRoot } from '../helpers/child-process.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const probeScript = fileURLToPath(new URL('./fixtures/import-probe.mjs', import.meta.url));

interface ProbeReport {
  exports: string[];
  /** file: URLs of every module the ESM loader loaded. */
  modules: string[];
  /** Native libraries (.node) mapped into the process. */
  natives: string[];
}

/** What loads a node process that imports `specifier` (and runs the probe's `step`), in plain Node without tsx. */
async function probe(t: ExecutionContext, specifier: string, ...step: string[]): Promise<ProbeReport> {
  t.true(existsSync(join(repoRoot, 'dist/cluster/index.js')), 'the package is built (npm run build)');
  const loads = join(await tempDir(t, 'vxl-probe-'), 'loads.txt');
  const { stdout } = await run(process.execPath, [probeScript, loads, specifier, ...step], { cwd: repoRoot, timeout: 60_000 });
  return JSON.parse(stdout) as ProbeReport;
}

/** Modules of a node's runtime, storage and engine: none may load for a client application. */
const NODE_ONLY = [
  /\/dist\/cluster\/(runtime|node|consensus|storage|transport|state-machine|commands|server\/(?!admin-proto))/,
  /\/dist\/src\/embedded\/(database|native)\.js$/,
  /\/node_modules\/(better-sqlite3|vectorlite)\//,
];
const nodeOnly = (modules: string[]): string[] => modules.filter((url) => NODE_ONLY.some((re) => re.test(url)));

test('vectorxlite/cluster loads no node runtime, no better-sqlite3 and no native addon, also when a call is made', async (t) => {
  t.is(process.platform, 'linux', 'the native-library check reads /proc/self/maps');
  const report = await probe(t, 'vectorxlite/cluster', 'use-cluster-client', `127.0.0.1:${await freePort()}`);
  t.true(report.modules.some((url) => url.endsWith('/dist/cluster/index.js')), 'the package export resolved to the built entry');
  t.true(report.modules.some((url) => url.endsWith('/dist/cluster/client/cluster-client.js')));
  t.true(report.modules.some((url) => url.endsWith('/dist/cluster/client/verify-snapshot.js')), 'ClusterClient.backup verifies its file without the addon');
  t.deepEqual(nodeOnly(report.modules), [], 'no module of the node runtime, storage or engine');
  t.deepEqual(report.natives, [], 'no .node library mapped');
  for (const name of ['ClusterClient', 'VectorXLiteError', 'ErrorCodes', 'LEADER_ADDR_METADATA_KEY', 'REDIRECT_METADATA_KEY', 'CLIENT_ID_METADATA_KEY']) {
    t.true(report.exports.includes(name), name);
  }
  for (const name of ['RaftNode', 'startClusterNode', 'ClusterService', 'RemoteStateMachine']) t.false(report.exports.includes(name), name);
});

test('vectorxlite/cluster/node exports the node parts and loads the runtime, better-sqlite3 and the engine', async (t) => {
  const report = await probe(t, 'vectorxlite/cluster/node');
  for (const name of ['RaftNode', 'startClusterNode', 'ClusterService', 'RemoteStateMachine', 'ClusterAdminService']) t.true(report.exports.includes(name), name);
  const loaded = nodeOnly(report.modules);
  t.true(loaded.some((url) => url.endsWith('/dist/cluster/runtime/raft-node.js')));
  t.true(loaded.some((url) => url.includes('/node_modules/better-sqlite3/')));
  t.true(loaded.some((url) => url.endsWith('/dist/src/embedded/native.js')));
});

test('vxctl loads no node runtime and no better-sqlite3: it is a client of the cluster', async (t) => {
  const report = await probe(t, join(repoRoot, 'dist/cluster/cli/cli.js'));
  t.true(report.modules.some((url) => url.endsWith('/dist/cluster/cli/backup.js')), 'the backup command is part of the probe');
  t.deepEqual(nodeOnly(report.modules), [], 'no module of the node runtime, storage or engine');
  t.deepEqual(report.natives, [], 'no .node library mapped');
});

test('the probe sees the native addon once an embedded database is opened', async (t) => {
  t.is(process.platform, 'linux', 'the native-library check reads /proc/self/maps');
  const report = await probe(t, 'vectorxlite', 'open-embedded');
  t.true(report.natives.some((path) => /vectorxlite[^/]*\.node$/.test(path)), `mapped: ${report.natives.join(', ')}`);
});
