/**
 * The durable stores under kill -9: a child process writes, the test SIGKILLs it at a moment
 * it does not choose, reopens the directory and checks that every write the child saw return
 * is there, identical, and that nothing else is (beyond the one write in flight).
 */
import { cpSync, existsSync, statSync, truncateSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import type { HardState, LogEntry } from '../../cluster/consensus/types.js';
import { openDurableStores } from '../../cluster/storage/durable.js';
import { VectorXLiteError } from '../../src/errors.js';
import { appendBatches, hardStateAfter, snapshotAt } from '../fixtures/raft-store-workload.js';
import { spawnNodeScript, type NodeChild } from '../helpers/child-process.js';
import { seededRandom } from '../helpers/random.js';
import { tempDir } from '../helpers/temp-dir.js';

const APPEND_LOOP = '__test__/fixtures/raft-store-append-loop.ts';
const SNAPSHOT_LOOP = '__test__/fixtures/raft-store-snapshot-loop.ts';

interface NodeState {
  log: LogEntry[];
  hardState: HardState | null;
}

function appendTo(log: LogEntry[], batch: LogEntry[]): LogEntry[] {
  return [...log.slice(0, batch[0].index - 1), ...batch];
}

/** Everything the stores in `dir` hold after a restart. */
function readBack(t: ExecutionContext, dir: string): NodeState {
  const stores = openDurableStores(dir);
  try {
    t.is(stores.log.firstIndex(), 1, 'nothing was compacted');
    return { log: stores.log.entries(1, stores.log.lastIndex()), hardState: stores.hardState.load() };
  } finally {
    stores.close();
  }
}

function countLines(child: NodeChild, prefix: string): number {
  return child.lines.filter((line) => line.startsWith(prefix)).length;
}

interface AppendRun {
  /** The batches the child appended, in order: `acked` acknowledged ones and the one in flight. */
  batches: LogEntry[][];
  acked: number;
}

/** Runs the append loop on `dir` until `acks` batches are acknowledged, waits `extraMs` more, and kills it. */
async function appendThenKill(t: ExecutionContext, dir: string, seed: number, before: NodeState, acks: number, extraMs: number): Promise<AppendRun> {
  const child = spawnNodeScript(t, APPEND_LOOP, [dir, String(seed)]);
  const start = await child.waitForLine((line) => line.startsWith('start '));
  const last = before.log.at(-1);
  t.is(start, `start ${last?.index ?? 0} ${last?.term ?? 0}`, 'the child starts from the log the test checked');
  await child.waitFor(() => (countLines(child, 'ack ') >= acks ? true : undefined));
  await sleep(extraMs);
  t.is((await child.kill('SIGKILL')).signal, 'SIGKILL', `the child was killed mid-stream, not stopped by an error: ${child.stderr}`);
  const acked = countLines(child, 'ack ');
  const batches: LogEntry[][] = [];
  for (const batch of appendBatches(seed, last?.index ?? 0, last?.term ?? 0)) {
    batches.push(batch);
    if (batches.length > acked) break;
  }
  t.is(child.lines.at(-1), `ack ${batches[acked - 1].at(-1)!.index}`, 'the test regenerates the batches the child wrote');
  return { batches, acked };
}

/** The node states a crash may leave: all acknowledged batches, plus any prefix of the one in flight. */
function allowedAfterCrash(before: NodeState, run: AppendRun): NodeState[] {
  let state = before;
  for (const batch of run.batches.slice(0, run.acked)) state = { log: appendTo(state.log, batch), hardState: hardStateAfter(batch) };
  const inFlight = run.batches[run.acked];
  const allowed: NodeState[] = [state];
  for (let n = 1; n <= inFlight.length; n++) allowed.push({ log: appendTo(state.log, inFlight.slice(0, n)), hardState: state.hardState });
  allowed.push({ log: appendTo(state.log, inFlight), hardState: hardStateAfter(inFlight) });
  return allowed;
}

test('kill -9 in the middle of appends, six times over: every acknowledged entry is back, identical, and nothing else', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-crash-');
  const random = seededRandom(20261127);
  let state: NodeState = { log: [], hardState: null };
  for (let round = 0; round < 6; round++) {
    const run = await appendThenKill(t, dir, 1000 + round, state, 5 + Math.floor(random() * 60), Math.floor(random() * 20));
    const after = readBack(t, dir);
    const allowed = allowedAfterCrash(state, run);
    const acknowledged = allowed[0].log.at(-1)!.index;
    t.true(
      allowed.some((candidate) => isDeepStrictEqual(candidate, after)),
      `round ${round}: after ${run.acked} acknowledged batches (log up to ${acknowledged}) the store holds a log up to ${after.log.at(-1)?.index} and hard state ${JSON.stringify(after.hardState)}, which no crash may leave`,
    );
    state = after;
  }
  t.true(state.log.length > 0);
});

test('a WAL torn in its last frame loses exactly the last append, and everything before it is intact', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-crash-');
  // Few enough batches that SQLite has not checkpointed: the WAL's last frame is the last append's commit.
  const BATCHES = 15;
  const child = spawnNodeScript(t, APPEND_LOOP, [dir, '77', String(BATCHES)]);
  await child.waitForLine((line) => line === 'idle');
  await child.kill('SIGKILL');
  const histories: LogEntry[][] = [[]];
  for (const batch of appendBatches(77, 0, 0)) {
    if (histories.length > BATCHES) break;
    histories.push(appendTo(histories.at(-1)!, batch));
  }

  const uncut = join(await tempDir(t, 'vxl-raft-uncut-'), 'node');
  cpSync(dir, uncut, { recursive: true });
  t.true(isDeepStrictEqual(readBack(t, uncut).log, histories[BATCHES]), 'without damage every batch is there');

  const wal = join(dir, 'log.sqlite-wal');
  t.true(existsSync(wal), 'the killed child left its write-ahead log');
  truncateSync(wal, statSync(wal).size - 1 - Math.floor(seededRandom(77)() * 2048));
  const torn = histories.findIndex((log) => isDeepStrictEqual(log, readBack(t, dir).log));
  t.is(torn, BATCHES - 1, 'the torn transaction is dropped whole; the batches before it are intact');
});

test('kill -9 during snapshot saves always leaves the latest completely saved snapshot loadable', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-crash-');
  const random = seededRandom(4242);
  let latest = 0;
  let killedMidSave = 0;
  for (let round = 0; round < 5; round++) {
    const child = spawnNodeScript(t, SNAPSHOT_LOOP, [dir]);
    t.is(await child.waitForLine((line) => line.startsWith('start ')), `start ${latest}`);
    const saves = Math.floor(random() * 4);
    await child.waitFor(() => (countLines(child, 'saved ') >= saves ? true : undefined));
    await sleep(Math.floor(random() * 40));
    await child.kill('SIGKILL');
    const saved = latest + countLines(child, 'saved ');
    if (existsSync(join(dir, 'snapshot.tmp'))) killedMidSave++;

    const stores = openDurableStores(dir);
    const loaded = stores.snapshots.load();
    stores.close();
    const index = loaded?.meta.index ?? 0;
    t.true(index === saved || index === saved + 1, `round ${round}: saved up to ${saved}, loaded ${index}`);
    if (loaded !== null && !isDeepStrictEqual(loaded, snapshotAt(index))) t.fail(`round ${round}: snapshot ${index} does not hold what was saved`);
    t.false(existsSync(join(dir, 'snapshot.tmp')), 'opening removed the half-written file');
    latest = index;
  }
  t.log(`${killedMidSave} of 5 kills landed in the middle of a save`);
});

test('a directory held by a running node process is refused; its lock dies with the process', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-crash-');
  const child = spawnNodeScript(t, APPEND_LOOP, [dir, '5']);
  await child.waitForLine((line) => line.startsWith('ack '));
  const error = t.throws(() => openDurableStores(dir), { instanceOf: VectorXLiteError });
  t.is(error?.code, 'FAILED_PRECONDITION');
  await child.kill('SIGKILL');
  const stores = openDurableStores(dir);
  t.teardown(() => stores.close());
  t.true(stores.log.lastIndex() > 0);
});
