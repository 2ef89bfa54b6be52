/**
 * ClusterClient.backup with real node processes: through a follower it saves a verified file
 * that VectorXLite.importSnapshot loads holding exactly the cluster's data (StateDigest); a bad
 * path is IO_ERROR and leaves no file. The redirect cap runs against real gRPC servers on
 * 127.0.0.1 that answer Backup the way members with stale views of the leader do: each names
 * the other as the leader, which a healthy Raft cluster cannot be made to do on demand.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import { MAX_BACKUP_REDIRECTS } from '../../cluster/client/backup-stream.js';
import { ClusterClient } from '../../cluster/client/cluster-client.js';
import { LEADER_ADDR_METADATA_KEY, REDIRECT_METADATA_KEY } from '../../cluster/metadata-keys.js';
import { ClusterAdminService, type BackupChunk, type BackupRequest } from '../../cluster/server/admin-proto.js';
import { VectorXLite } from '../../src/embedded/database.js';
import { tempDir } from '../helpers/temp-dir.js';
import { freePort, TestCluster } from './helpers/cluster.js';

const SCHEMA = 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, body TEXT)';

test('through a follower: a verified file that imports to exactly the cluster data; a bad path is IO_ERROR and leaves nothing', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;
  const writer = new ClusterClient(cluster.nodes.map((n) => n.clusterAddr));
  t.teardown(() => writer.close());
  await writer.createCollection({ name: 'docs', dimension: 3, distance: 'l2', payloadSchema: SCHEMA });
  const points = Array.from({ length: 60 }, (_, i) => ({ id: i + 1, vector: [1, i, i % 7], payloadInsertQuery: `INSERT INTO docs (rowid, body) VALUES (${i + 1}, 'doc ${i + 1}')` }));
  await writer.insertBatch('docs', points);

  // A client that knows the follower only: the follower relays the leader's stream.
  const client = new ClusterClient([follower.clusterAddr]);
  t.teardown(() => client.close());
  const dir = await tempDir(t);
  const out = join(dir, 'cluster.vxlsnap');
  const saved = await client.backup(out, { chunkSize: 1000 });
  t.is(saved.file, out);
  t.is(saved.via, follower.clusterAddr);
  t.is(saved.leaderId, leader.id);
  t.deepEqual(saved.members.map((m) => [m.id, m.voter]).sort(), cluster.nodes.map((n) => [n.id, true]).sort());
  t.true(saved.term >= 1);
  const bytes = await readFile(out);
  t.is(bytes.length, saved.size);
  t.is(createHash('sha256').update(bytes).digest('hex'), saved.sha256);
  t.deepEqual(await readdir(dir), ['cluster.vxlsnap'], 'nothing but the backup is left in the directory');

  const digests = await cluster.settled();
  t.true(digests[0].appliedIndex >= saved.appliedIndex);
  const db = await VectorXLite.open(join(await tempDir(t), 'imported.db'));
  try {
    const imported = await db.importSnapshot(out);
    t.is(imported.snapshotId, saved.snapshotId);
    t.is(await db.digest(), digests[0].digest, 'the backup holds exactly the data every member holds');
    t.is((await db.get('docs', 60))?.payload.body, 'doc 60');
  } finally {
    await db.close();
  }

  const bad = await tempDir(t);
  await t.throwsAsync(client.backup(join(bad, 'missing', 'b.vxlsnap')), { code: 'IO_ERROR', message: /^cannot write the backup next to / });
  await t.throwsAsync(client.backup(bad), { code: 'IO_ERROR', message: /^cannot save the backup as / }, 'a directory in the way of the rename');
  await t.throwsAsync(client.backup(''), { code: 'INVALID_ARGUMENT' });
  await t.throwsAsync(client.backup(join(bad, 'b.vxlsnap'), { chunkSize: -1 }), { code: 'INVALID_ARGUMENT' });
  t.deepEqual(await readdir(bad), [], 'failed backups leave no file, not even a temporary one');
  await client.close();
  await t.throwsAsync(client.backup(join(bad, 'b.vxlsnap')), { code: 'CLOSED' });
  t.deepEqual(await readdir(bad), []);
});

/** A gRPC server whose Backup always redirects to `leader()`, as a member with a stale view does. */
async function redirectingMember(t: ExecutionContext, leader: () => string): Promise<{ address: string; calls: () => number }> {
  const address = `127.0.0.1:${await freePort()}`;
  let calls = 0;
  const server = new Server();
  server.addService(ClusterAdminService, {
    Backup: (call: ServerWritableStream<BackupRequest, BackupChunk>) => {
      calls++;
      const metadata = new Metadata();
      metadata.set(REDIRECT_METADATA_KEY, 'true');
      metadata.set(LEADER_ADDR_METADATA_KEY, leader());
      call.emit('error', { code: status.FAILED_PRECONDITION, details: `not the leader; the leader is ${leader()}`, metadata });
    },
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(address, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  t.teardown(() => server.forceShutdown());
  return { address, calls: () => calls };
}

test('redirects are capped: two members naming each other the leader fail the backup with UNAVAILABLE naming both', async (t) => {
  const members: Array<{ address: string; calls: () => number }> = [];
  members.push(await redirectingMember(t, () => members[1].address));
  members.push(await redirectingMember(t, () => members[0].address));
  const [a, b] = members.map((m) => m.address);
  const client = new ClusterClient([a]);
  t.teardown(() => client.close());
  const dir = await tempDir(t);

  const error = await t.throwsAsync(client.backup(join(dir, 'b.vxlsnap')), { code: 'UNAVAILABLE' });
  t.is(error?.message.split(' (')[0], `the backup was redirected ${MAX_BACKUP_REDIRECTS + 1} times without reaching a leader`);
  t.true(error?.message.includes(`${a} -> ${b} -> ${a} -> ${b} -> ${a}`), error?.message);
  t.is(members[0].calls() + members[1].calls(), MAX_BACKUP_REDIRECTS + 1, 'the call stopped at the cap');
  t.deepEqual(await readdir(dir), []);
});
