/**
 * The --force-new-cluster rewrite on real durable stores, in process: every entry and the
 * snapshot kept, one config entry of this node alone at a new term, the previous membership
 * logged at warn; a driver opened on the result elects itself and commits and applies
 * everything it held, and so does a later start without the flag. Refused on an empty data dir
 * with nothing created; a second run finds nothing to do; a crash in the middle (simulated
 * disk) leaves nothing changed or the whole override. The flag is taken from the command
 * line only, and never with --bootstrap or --join.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { VectorXLiteError } from '../../src/errors.js';
import { loadDurableState, RaftDriver, type RaftStores } from '../../cluster/consensus/driver.js';
import { decodeMembership, encodeMembership } from '../../cluster/consensus/membership.js';
import type { LogEntry, Member, Membership } from '../../cluster/consensus/types.js';
import { parseNodeCommandLine } from '../../cluster/node/config.js';
import { forceNewCluster, forceSingleVoterConfiguration } from '../../cluster/node/force-new-cluster.js';
import { raftStoreDir } from '../../cluster/runtime/raft-node.js';
import { SimDisk, SimulatedCrash } from '../../cluster/simulation/disk.js';
import { SeededRandom } from '../../cluster/simulation/random.js';
import { encodeKvCommand, MemoryStateMachine, type KvResult } from '../../cluster/state-machine/memory.js';
import { openDurableStores } from '../../cluster/storage/durable.js';
import { MemoryNetwork } from '../../cluster/transport/memory.js';
import { tempDir } from '../helpers/temp-dir.js';

const member = (id: string): Member => ({ id, voter: true, raftAddr: `127.0.0.1:1${id.charCodeAt(0)}`, clusterAddr: `127.0.0.1:2${id.charCodeAt(0)}` });
const A = member('a');
const OLD: Membership = { members: [A, member('b'), member('c')] };

const config = (index: number, term: number, m: Membership): LogEntry => ({ index, term, type: 'config', data: encodeMembership(m) });
const write = (index: number, term: number): LogEntry => ({ index, term, type: 'command', data: encodeKvCommand({ clientId: 'w', seq: index, key: `k${index}`, value: `v${index}` }) });

/** Warn-level log lines the rewrite writes, parsed. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/**
 * A data dir of a member of {a, b, c}: entries 1..7 (terms 1..3), of which it knows 1..5
 * committed; term 3, having voted for b. Optionally compacted: a snapshot at 4, the log after it.
 */
async function survivorDir(t: ExecutionContext, compacted = false): Promise<{ dataDir: string; entries: LogEntry[] }> {
  const dataDir = await tempDir(t, 'vxl-force-');
  const entries = [config(1, 1, OLD), write(2, 1), write(3, 2), write(4, 2), write(5, 2), write(6, 3), write(7, 3)];
  const stores = openDurableStores(raftStoreDir(dataDir));
  stores.log.append(entries);
  stores.hardState.save({ term: 3, vote: 'b', commit: 5 });
  if (compacted) {
    const sm = new MemoryStateMachine();
    for (const e of entries.slice(0, 4)) await sm.apply(e);
    stores.snapshots.save({ meta: { index: 4, term: 2, membership: OLD }, data: await sm.snapshot() });
    stores.log.compact(4);
  }
  stores.close();
  return { dataDir, entries: compacted ? entries.slice(4) : entries };
}

interface AloneRun {
  applied: MemoryStateMachine;
  membership: Membership;
  commit: number;
  lastIndex: number;
}

/** Opens a driver on `dataDir` as node a, ticks until it leads and has applied everything, then closes it. */
async function runAlone(dataDir: string): Promise<AloneRun> {
  const stores = openDurableStores(raftStoreDir(dataDir));
  try {
    return await runAloneOn(stores);
  } finally {
    stores.close();
  }
}

async function runAloneOn(stores: RaftStores): Promise<AloneRun> {
  const applied = new MemoryStateMachine();
  const driver = await RaftDriver.open<KvResult>({
    id: 'a',
    random: new SeededRandom(7),
    stores,
    transport: new MemoryNetwork().connect('a'),
    stateMachine: applied,
    snapshotThreshold: 1000,
    snapshotTrailing: 10,
  });
  try {
    for (let i = 0; i < 200; i++) {
      const s = driver.status();
      if (s.role === 'leader' && s.applied === s.lastIndex && s.commit === s.lastIndex) break;
      driver.tick();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const s = driver.status();
    return { applied, membership: s.membership, commit: s.commit, lastIndex: s.lastIndex };
  } finally {
    await driver.close();
  }
}

test('the survivor keeps every entry, gets a config of itself alone at a new term, and leads it', async (t) => {
  const { dataDir, entries } = await survivorDir(t);
  const { logger, lines } = capturingLogger();
  const forced = forceNewCluster(dataDir, A, logger);
  t.like(forced, { rewritten: true, index: 8, term: 4, commitHint: 5, previous: OLD });

  const stores = openDurableStores(raftStoreDir(dataDir));
  t.deepEqual(stores.log.entries(1, 7), entries, 'every entry kept, byte for byte');
  const [added] = stores.log.entries(8, 8);
  t.like(added, { index: 8, term: 4, type: 'config' });
  t.deepEqual(decodeMembership(added.data), { members: [A] });
  t.deepEqual(stores.hardState.load(), { term: 4, vote: null, commit: 5 });
  stores.close();

  const warning = lines.find((l) => l.level === 40);
  t.truthy(warning, 'logged at warn');
  t.deepEqual(warning?.previousMembers, ['a raft=127.0.0.1:197 api=127.0.0.1:297', 'b raft=127.0.0.1:198 api=127.0.0.1:298', 'c raft=127.0.0.1:199 api=127.0.0.1:299']);
  t.regex(String(warning?.msg), /writes the lost members committed that this node never received are lost/);

  // Elected alone, it commits everything it held (its own entries beyond its commit hint too).
  for (const run of [await runAlone(dataDir), await runAlone(dataDir)]) {
    t.deepEqual(run.membership, { members: [A] }, 'a later start without the flag resumes the one-voter cluster');
    t.is(run.commit, run.lastIndex);
    for (let i = 2; i <= 7; i++) t.is(run.applied.get(`k${i}`), `v${i}`);
  }
});

test('a compacted survivor keeps its snapshot and the log after it', async (t) => {
  const { dataDir, entries } = await survivorDir(t, true);
  const forced = forceNewCluster(dataDir, A, capturingLogger().logger);
  t.like(forced, { rewritten: true, index: 8, term: 4, previous: OLD });
  const stores = openDurableStores(raftStoreDir(dataDir));
  t.is(stores.snapshots.load()?.meta.index, 4);
  t.deepEqual(stores.log.entries(5, 7), entries);
  stores.close();
  const run = await runAlone(dataDir);
  t.deepEqual(run.membership, { members: [A] });
  for (let i = 2; i <= 7; i++) t.is(run.applied.get(`k${i}`), `v${i}`);
});

test('a crash during the rewrite leaves either nothing changed or the whole override', async (t) => {
  const entries = [config(1, 1, OLD), write(2, 1), write(3, 2)];
  for (const writesBeforeCrash of [0, 1]) {
    const disk = new SimDisk(new SeededRandom(writesBeforeCrash), () => undefined);
    disk.log.append(entries);
    disk.hardState.save({ term: 2, vote: 'b', commit: 2 });
    disk.armCrash(writesBeforeCrash);
    t.throws(() => forceSingleVoterConfiguration(disk.stores(), A), { instanceOf: SimulatedCrash });
    disk.disarm();
    if (writesBeforeCrash === 0) {
      // The crash hit the append: the log and the hard state are as they were.
      t.deepEqual(disk.log.entries(1, disk.log.lastIndex()), entries);
      t.deepEqual(disk.hardState.load(), { term: 2, vote: 'b', commit: 2 });
    } else {
      // The crash hit the hard state: the entry's term is adopted and the override holds.
      t.is(loadDurableState(disk.stores()).hardState.term, 3);
      const run = await runAloneOn(disk.stores());
      t.deepEqual(run.membership, { members: [A] });
      t.is(run.applied.get('k3'), 'v3');
    }
  }
});

test('forcing a node that already is the only voter changes nothing', async (t) => {
  const { dataDir } = await survivorDir(t);
  forceNewCluster(dataDir, A, capturingLogger().logger);
  const { logger, lines } = capturingLogger();
  t.like(forceNewCluster(dataDir, A, logger), { rewritten: false, index: 8, term: 4 });
  const stores = openDurableStores(raftStoreDir(dataDir));
  t.is(stores.log.lastIndex(), 8);
  stores.close();
  t.regex(String(lines.find((l) => l.level === 40)?.msg), /already is the only voter; nothing changed/);
});

test('refused on an empty data dir, creating nothing', async (t) => {
  const dataDir = await tempDir(t, 'vxl-force-empty-');
  const error = t.throws(() => forceNewCluster(dataDir, A, capturingLogger().logger), { instanceOf: VectorXLiteError });
  t.is(error?.code, 'FAILED_PRECONDITION');
  t.regex(error?.message ?? '', /holds no Raft state; start a new cluster with --bootstrap instead/);
  t.deepEqual(readdirSync(dataDir), []);
  // A data dir whose Raft stores exist but hold nothing (a node that never joined) is refused too.
  openDurableStores(raftStoreDir(dataDir)).close();
  const files = readdirSync(join(dataDir, 'raft')).sort();
  t.throws(() => forceNewCluster(dataDir, A, capturingLogger().logger), { message: /holds no Raft state/ });
  t.deepEqual(readdirSync(join(dataDir, 'raft')).sort(), files);
});

test('the flag is command-line only and excludes --bootstrap and --join', async (t) => {
  const required = ['--id', 'a', '--raft-addr', A.raftAddr, '--cluster-addr', A.clusterAddr, '--data-dir', '/tmp/a'];
  t.like(parseNodeCommandLine([...required, '--force-new-cluster']), { help: false, config: { forceNewCluster: true, bootstrap: false } });
  t.like(parseNodeCommandLine(required), { config: { forceNewCluster: false } });
  for (const extra of [['--bootstrap'], ['--join', '127.0.0.1:5002']]) {
    t.throws(() => parseNodeCommandLine([...required, '--force-new-cluster', ...extra]), { message: /--force-new-cluster restarts a surviving node from its own data; drop --bootstrap and --join/ });
  }
  const file = join(await tempDir(t), 'node.yaml');
  writeFileSync(file, 'force-new-cluster: true\n');
  const error = t.throws(() => parseNodeCommandLine([...required, '--config', file]), { instanceOf: VectorXLiteError });
  t.is(error?.code, 'INVALID_ARGUMENT');
  t.regex(error?.message ?? '', /accepted on the command line only/);
});
