import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { CommandResult } from '../../cluster/commands/types.js';
import { EngineStateMachine } from '../../cluster/state-machine/engine.js';
import { spawnNodeScript } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { endlessEntry, MEMBERSHIP, openEngineSm } from './workload.js';

const SNAPSHOT_EVERY = 40;

interface Crashed {
  stateDir: string;
  snapshotFile: string;
  /** Results the child reported, by index. */
  reported: Map<number, CommandResult>;
}

/** Runs the apply loop in a child until it has applied `until` entries, then SIGKILLs it. */
async function crashChild(t: ExecutionContext, until: number, snapshotEvery = SNAPSHOT_EVERY): Promise<Crashed> {
  const dir = await tempDir(t, 'vxl-sm-crash-');
  const stateDir = join(dir, 'state');
  const snapshotFile = join(dir, 'snapshot.bin');
  const child = spawnNodeScript(t, '__test__/state-machine/fixtures/apply-loop.ts', [stateDir, snapshotFile, String(snapshotEvery)]);
  await child.waitForLine((line) => line.startsWith(`applied ${until} `));
  const status = await child.kill('SIGKILL');
  t.is(status.signal, 'SIGKILL', 'the child was killed mid-log');
  const reported = new Map<number, CommandResult>();
  for (const line of child.lines) {
    const match = /^applied (\d+) (.*)$/.exec(line);
    if (match) reported.set(Number(match[1]), JSON.parse(match[2]) as CommandResult);
  }
  return { stateDir, snapshotFile, reported };
}

/**
 * What a restarting node does with a volatile state machine: open it (it must report 0, since
 * nothing on disk says which entries its database holds), restore the saved snapshot as the
 * driver does, and replay the log after it up to `target`.
 */
async function recover(t: ExecutionContext, crashed: Crashed, target: number): Promise<{ sm: EngineStateMachine; snapshotIndex: number; results: Map<number, CommandResult> }> {
  const sm = await EngineStateMachine.open({ dataDir: crashed.stateDir });
  t.teardown(() => sm.close());
  t.is(await sm.appliedIndex(), 0, 'a reopened state machine claims no entries');
  t.deepEqual(await sm.engine.listCollections(), [], 'and holds no data it could not vouch for');
  let snapshotIndex = 0;
  if (existsSync(crashed.snapshotFile)) {
    const bytes = await readFile(crashed.snapshotFile);
    snapshotIndex = Number(bytes.readBigUInt64LE(0));
    await sm.restore({ meta: { index: snapshotIndex, term: 1, membership: MEMBERSHIP }, data: bytes.subarray(8) });
    t.is(await sm.appliedIndex(), snapshotIndex, 'after the restore it has applied exactly the snapshot');
  }
  const results = new Map<number, CommandResult>();
  for (let index = snapshotIndex + 1; index <= target; index++) results.set(index, await sm.apply(endlessEntry(index)));
  return { sm, snapshotIndex, results };
}

async function reference(t: ExecutionContext, target: number): Promise<{ sm: EngineStateMachine; results: Map<number, CommandResult> }> {
  const sm = await openEngineSm(t);
  const results = new Map<number, CommandResult>();
  for (let index = 1; index <= target; index++) results.set(index, await sm.apply(endlessEntry(index)));
  return { sm, results };
}

test('after kill -9, snapshot plus replay rebuilds exactly the state of a node that never crashed', async (t) => {
  const crashed = await crashChild(t, 3 * SNAPSHOT_EVERY + 15);
  const target = Math.max(...crashed.reported.keys()) + 25;
  const { sm, snapshotIndex, results } = await recover(t, crashed, target);
  t.true(snapshotIndex >= 3 * SNAPSHOT_EVERY, `restored the snapshot at ${snapshotIndex}`);
  const never = await reference(t, target);
  t.is(await sm.appliedIndex(), target);
  t.is(await sm.digest(), await never.sm.digest(), 'same data as the node that never crashed');
  for (const [index, result] of results) t.deepEqual(result, never.results.get(index), `entry ${index}: same result after the crash`);
  for (const [index, result] of crashed.reported) t.deepEqual(result, never.results.get(index), `entry ${index}: the child saw the same result`);
  const retries = [...results.keys()].filter((index) => index % 10 === 9);
  t.true(retries.length > 0, 'the replay included client retries');
  for (const index of retries) t.deepEqual(results.get(index), results.get(index - 4) ?? never.results.get(index - 4), `retry at ${index} answered from the dedup table`);
});

test('after kill -9 before any snapshot, replay from the start rebuilds the same state', async (t) => {
  const crashed = await crashChild(t, 30, Number.MAX_SAFE_INTEGER);
  const target = Math.max(...crashed.reported.keys()) + 5;
  const { sm, snapshotIndex } = await recover(t, crashed, target);
  t.is(snapshotIndex, 0, 'no snapshot was taken');
  const never = await reference(t, target);
  t.is(await sm.digest(), await never.sm.digest());
});
