/**
 * Digest parity of the embedded and the --vector-addr state machine: the same log applied to
 * an EngineStateMachine and to a RemoteStateMachine over a real standalone server process
 * gives the same digest, also after a snapshot moves the data from one kind to the other.
 * Both digests are the engine's own (VectorXLite.digest() and the server's Digest RPC).
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { RemoteStateMachine } from '../../cluster/runtime/remote-state-machine.js';
import type { CommandStateMachine } from '../../cluster/state-machine/command-state-machine.js';
import type { CommandEngine } from '../../cluster/commands/engine.js';
import type { CommandResult } from '../../cluster/commands/types.js';
import type { LogEntry } from '../../cluster/consensus/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import { connect } from '../server/helpers/client.js';
import { ServerProcess } from '../server/helpers/server-process.js';
import { MEMBERSHIP, openEngineSm, standardLog } from '../state-machine/workload.js';

const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** A state machine over a fresh standalone server process, and that server's address. */
async function openRemoteSm(t: ExecutionContext): Promise<{ sm: RemoteStateMachine; address: string }> {
  const server = await ServerProcess.start(t, { data: join(await tempDir(t, 'vxl-standalone-'), 'db.sqlite') });
  const sm = await RemoteStateMachine.open({ address: server.address, stagingDir: await tempDir(t, 'vxl-staging-'), maxMessageBytes: MAX_MESSAGE_BYTES });
  t.teardown(() => sm.close());
  return { sm, address: server.address };
}

async function applyAll(sm: CommandStateMachine<CommandEngine>, entries: readonly LogEntry[]): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const entry of entries) results.push(await sm.apply(entry));
  return results;
}

test('the same log on an embedded and a --vector-addr state machine gives the same digest', async (t) => {
  const { entries } = standardLog();
  const embedded = await openEngineSm(t);
  const { sm: remote, address } = await openRemoteSm(t);
  const emptyDigest = await embedded.digest();
  t.is(await remote.digest(), emptyDigest, 'both empty');

  t.deepEqual(await applyAll(remote, entries), await applyAll(embedded, entries), 'every entry gave the same result');
  const digest = await embedded.digest();
  t.not(digest, emptyDigest);
  t.is(await remote.digest(), digest, 'the standalone server holds exactly what the embedded engine holds');
  t.is(await connect(t, address).digest(), digest, "it is the server's own Digest answer");
  t.is(await embedded.digest(), await embedded.engine.digest(), "the embedded state machine reports its engine's digest");
});

test('a snapshot moved between an embedded and a --vector-addr state machine keeps the digest', async (t) => {
  const { entries } = standardLog();
  const embedded = await openEngineSm(t);
  await applyAll(embedded, entries);
  const meta = { index: entries.length, term: 1, membership: MEMBERSHIP };

  const { sm: remote } = await openRemoteSm(t);
  await remote.restore({ meta, data: await embedded.snapshot() });
  t.is(await remote.digest(), await embedded.digest(), 'embedded snapshot restored into a standalone server');

  const back = await openEngineSm(t);
  await back.restore({ meta, data: await remote.snapshot() });
  t.is(await back.digest(), await embedded.digest(), "the server's snapshot restored into an embedded engine");
});
