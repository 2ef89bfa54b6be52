import { spawnSync } from 'node:child_process';
import test from 'ava';
import type { Status } from '../../cluster/consensus/raft.js';
import type { LogEntry } from '../../cluster/consensus/types.js';
import { InvariantChecker, type NodeView } from '../../cluster/simulation/checker.js';
import { SimDisk, SimulatedCrash } from '../../cluster/simulation/disk.js';
import { SimNetwork } from '../../cluster/simulation/network.js';
import { SeededRandom } from '../../cluster/simulation/random.js';
import { DEFAULT_SCENARIO, runScenario } from '../../cluster/simulation/scenario.js';
import { Scheduler } from '../../cluster/simulation/scheduler.js';
import { encodeKvCommand } from '../../cluster/state-machine/memory.js';

function entry(index: number, term: number, text: string): LogEntry {
  return { index, term, type: 'command', data: encodeKvCommand({ clientId: 'c', seq: index, key: 'k', value: text }) };
}

function view(id: string, status: Partial<Status>, terms: number[]): NodeView {
  const full: Status = { id, role: 'follower', term: 1, vote: null, leaderId: null, commit: 0, applied: 0, lastIndex: terms.length, firstIndex: 1, membership: { members: [] }, leadTransferee: null, ...status };
  return { id, status: full, termAt: (i) => (i === 0 ? 0 : terms[i - 1]) };
}

test('simulation is deterministic: a seed replays to the same run', async (t) => {
  const a = await runScenario({ ...DEFAULT_SCENARIO, seed: 42, nodes: 5 });
  const b = await runScenario({ ...DEFAULT_SCENARIO, seed: 42, nodes: 5 });
  t.deepEqual(a, b);
  const c = await runScenario({ ...DEFAULT_SCENARIO, seed: 43, nodes: 5 });
  t.notDeepEqual(a.stats, c.stats);
});

test('simulation workload exercises elections, crashes, snapshots, membership changes and reads', async (t) => {
  const totals = { acked: 0, reads: 0, elections: 0, snapshotRestores: 0, crashes: 0, membershipChanges: 0 };
  for (let seed = 1; seed <= 10; seed++) {
    const r = await runScenario({ ...DEFAULT_SCENARIO, seed, nodes: seed % 2 === 1 ? 3 : 5 });
    t.deepEqual(r.violations, []);
    for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += r.stats[key];
  }
  for (const [key, value] of Object.entries(totals)) t.true(value > 10, `${key}: ${value}`);
});

test('checker: Election Safety catches two leaders in one term', (t) => {
  const c = new InvariantChecker();
  c.afterStep([view('a', { role: 'leader', term: 3 }, [1]), view('b', { role: 'leader', term: 3 }, [1])]);
  t.regex(c.violations[0], /Election Safety/);
});

test('checker: Log Matching catches different entries at the same index and term', (t) => {
  const c = new InvariantChecker();
  c.onPersist('a', [entry(1, 1, 'x')], 0);
  c.onPersist('b', [entry(1, 1, 'y')], 0);
  t.regex(c.violations[0], /Log Matching/);
});

test('checker: Log Matching catches the same entry after different histories', (t) => {
  const c = new InvariantChecker();
  c.onPersist('a', [entry(2, 3, 'x')], 1);
  c.onPersist('b', [entry(2, 3, 'x')], 2);
  t.regex(c.violations[0], /Log Matching/);
});

test('checker: State Machine Safety catches different entries committed or applied at one index', (t) => {
  const c = new InvariantChecker();
  c.afterStep([view('a', { commit: 2 }, [1, 1]), view('b', { commit: 2 }, [1, 2])]);
  t.regex(c.violations[0], /State Machine Safety/);
  const d = new InvariantChecker();
  d.onApply('a', entry(1, 1, 'x'), { applied: true });
  d.onApply('b', entry(1, 2, 'x'), { applied: true });
  t.regex(d.violations[0], /State Machine Safety/);
});

test('checker: exactly-once catches one command taking effect at two indexes', (t) => {
  const c = new InvariantChecker();
  const cmd = encodeKvCommand({ clientId: 'c', seq: 1, key: 'k', value: 'v' });
  c.onApply('a', { index: 1, term: 1, type: 'command', data: cmd }, { applied: true });
  c.onApply('a', { index: 2, term: 1, type: 'command', data: cmd }, { applied: true });
  t.regex(c.violations.join(), /Exactly once/);
});

test('checker: Leader Completeness catches a leader without a committed entry', (t) => {
  const c = new InvariantChecker();
  c.afterStep([view('a', { commit: 3 }, [1, 1, 2])]);
  c.afterStep([view('b', { role: 'leader', term: 4, lastIndex: 2 }, [1, 1])]);
  t.regex(c.violations[0], /Leader Completeness/);
});

test('checker: a leader of an old term appearing late is held only to entries committed before its term', (t) => {
  const c = new InvariantChecker();
  c.afterStep([view('a', { role: 'leader', term: 3, commit: 2 }, [1, 3])]);
  c.afterStep([view('b', { role: 'leader', term: 2 }, [1, 2])]);
  t.deepEqual(c.violations, []);
});

test('simulated disk: only completed writes survive, and a crash can tear an append to a prefix', (t) => {
  const persisted: number[] = [];
  const disk = new SimDisk(new SeededRandom(3), (entries) => persisted.push(...entries.map((e) => e.index)));
  const stores = disk.stores();
  stores.log.append([entry(1, 1, 'a'), entry(2, 1, 'b')]);
  disk.armCrash(1);
  stores.hardState.save({ term: 1, vote: null, commit: 2 });
  t.throws(() => stores.log.append([entry(3, 1, 'c'), entry(4, 1, 'd'), entry(5, 1, 'e')]), { instanceOf: SimulatedCrash });
  t.true(disk.log.lastIndex() >= 2 && disk.log.lastIndex() < 5, 'a prefix at most');
  t.deepEqual(disk.hardState.load(), { term: 1, vote: null, commit: 2 });
  t.deepEqual(persisted.slice(0, 2), [1, 2]);
});

test('simulated network: partitions block messages both ways, pauses delay them', (t) => {
  const scheduler = new Scheduler();
  const net = new SimNetwork(scheduler, new SeededRandom(1));
  const got: string[] = [];
  for (const id of ['a', 'b', 'c']) net.transport(id).onMessage((m) => got.push(`${m.from}>${m.to}@${scheduler.now}`));
  const ping = (from: string, to: string) => net.send({ type: 'TimeoutNow', from, to, term: 1 });
  net.partition([['a'], ['b', 'c']]);
  ping('a', 'b');
  ping('b', 'a');
  ping('b', 'c');
  while (scheduler.runNext());
  t.is(got.length, 1);
  t.regex(got[0], /^b>c/);
  net.heal();
  net.pause('a', scheduler.now + 100);
  const pausedAt = scheduler.now;
  ping('b', 'a');
  while (scheduler.runNext());
  t.is(got.length, 2);
  t.true(Number(got[1].split('@')[1]) >= pausedAt + 100, 'delivered only after the pause');
});

test('npm run sim prints one summary line and exits 0 when no seed fails; bad arguments exit 2', (t) => {
  const ok = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sim.ts', '--from', '5', '--count', '2'], { encoding: 'utf8' });
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /^seeds 2, steps \d+, violations 0\n$/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sim.ts', '--nodes', '4'], { encoding: 'utf8' });
  t.is(bad.status, 2);
});
