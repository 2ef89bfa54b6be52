/**
 * Online backup (ClusterAdmin.Backup, saved by ClusterClient.backup) and restore
 * (`vectorxlite-cluster --bootstrap --restore`) with real node processes: the backup holds every
 * write acknowledged before it began although writes go on during it, a follower relays it, the
 * file is an engine snapshot VectorXLite.importSnapshot loads, and a cluster restored from it and
 * joined by a second node holds exactly its data. Bad restores are refused and change nothing.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ClusterClient, type ClusterBackup } from '../../cluster/client/cluster-client.js';
import { VectorXLite } from '../../src/embedded/database.js';
import { runNodeScript } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ClusterMethods, FAST_RAFT, freePort, rpc, TestCluster, type TestNode } from './helpers/cluster.js';

const vector = (i: number): number[] => [1, i % 97, (i * 7) % 13];

async function createDocs(node: TestNode): Promise<void> {
  await rpc(node.clusterAddr, ClusterMethods.createCollection, {
    collectionName: 'docs',
    distance: 'l2',
    vectorDimension: 3,
    payloadTableSchema: 'CREATE TABLE docs (rowid INTEGER PRIMARY KEY, body TEXT)',
    indexFilePath: '',
  });
}

function insertDoc(node: TestNode, id: number): Promise<unknown> {
  return rpc(node.clusterAddr, ClusterMethods.insert, { collectionName: 'docs', id, vector: vector(id), payloadInsertQuery: `INSERT INTO docs (rowid, body) VALUES (${id}, 'doc ${id}')` });
}

/** A backup asked of `node` only. */
async function backupVia(t: ExecutionContext, node: TestNode, out: string, chunkSize: number): Promise<ClusterBackup> {
  const client = new ClusterClient([node.clusterAddr]);
  t.teardown(() => client.close());
  return client.backup(out, { chunkSize });
}

/** Imports `file` into a fresh embedded database and hands it to `use`. */
async function withImported<T>(t: ExecutionContext, file: string, use: (db: VectorXLite) => Promise<T>): Promise<T> {
  const db = await VectorXLite.open(join(await tempDir(t), 'imported.db'));
  try {
    await db.importSnapshot(file);
    return await use(db);
  } finally {
    await db.close();
  }
}

test('a backup taken under concurrent writes holds every write acknowledged before it began, relayed by a follower', async (t) => {
  const cluster = await TestCluster.start(t, 3);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;
  await createDocs(leader);

  // Two writers keep inserting until the backup is done; ids are recorded as they are acknowledged.
  const acknowledged: number[] = [];
  let nextId = 1;
  let writing = true;
  const writer = async (): Promise<void> => {
    while (writing) {
      const id = nextId++;
      try {
        await insertDoc(leader, id);
        acknowledged.push(id);
      } catch {
        // A write that failed is not acknowledged; the backup may or may not hold it.
      }
    }
  };
  const writers = [writer(), writer()];
  while (acknowledged.length < 40) await new Promise((resolve) => setTimeout(resolve, 20));

  const ackedBefore = [...acknowledged];
  const out = join(await tempDir(t), 'cluster.vxlsnap');
  const saved = await backupVia(t, follower, out, 4096);
  const ackedDuring = acknowledged.length - ackedBefore.length;
  writing = false;
  await Promise.all(writers);

  t.is(saved.via, follower.clusterAddr);
  t.is(saved.leaderId, leader.id);
  t.deepEqual(saved.members.map((m) => [m.id, m.voter]).sort(), cluster.nodes.map((n) => [n.id, true]).sort());
  t.true(saved.appliedIndex > ackedBefore.length, `the backup is at index ${saved.appliedIndex}`);
  t.true(saved.term >= 1);
  const bytes = await readFile(out);
  t.is(bytes.length, saved.size);
  t.is(createHash('sha256').update(bytes).digest('hex'), saved.sha256);
  t.log(`${ackedBefore.length} writes acknowledged before the backup, ${ackedDuring} while it was taken; ${saved.size} bytes at index ${saved.appliedIndex}`);

  const missing = await withImported(t, out, async (db) => {
    const absent: number[] = [];
    for (const id of ackedBefore) {
      const point = await db.get('docs', id);
      if (point === null || point.payload.body !== `doc ${id}`) absent.push(id);
    }
    return absent;
  });
  t.deepEqual(missing, [], 'every write acknowledged before the backup began is in it');
});

test('a cluster restored from a backup, joined by a second node, holds exactly the backup', async (t) => {
  const source = await TestCluster.create(t);
  const origin = (await source.addNode('n1')).start({ bootstrap: true, args: FAST_RAFT });
  await source.waitForLeader();
  await createDocs(origin);
  for (let id = 1; id <= 25; id++) await insertDoc(origin, id);
  const out = join(await tempDir(t), 'cluster.vxlsnap');
  const saved = await backupVia(t, origin, out, 0);
  const [sourceDigest] = await source.settled();
  const backupDigest = await withImported(t, out, (db) => db.digest());
  t.is(backupDigest, sourceDigest.digest, 'a backup of an idle cluster holds exactly its data');
  t.true(sourceDigest.appliedIndex >= saved.appliedIndex);

  const restored = await TestCluster.create(t);
  const first = (await restored.addNode('r1')).start({ bootstrap: true, args: [...FAST_RAFT, '--restore', out] });
  (await restored.addNode('r2')).start({ join: first.clusterAddr, args: FAST_RAFT });
  const info = await restored.waitForVoters(2);
  t.deepEqual(info.nodes.map((n) => n.nodeId).sort(), ['r1', 'r2'], 'the restored cluster has its own members only');
  const digests = await restored.settled();
  t.deepEqual(
    digests.map((d) => d.digest),
    [backupDigest, backupDigest],
    'both nodes of the restored cluster hold the backup',
  );
  t.true(first.logs().some((l) => l.msg === 'restored the backup as a new one-voter cluster; other nodes can --join it'));
  t.false(first.logs().some((l) => l.msg.includes('--bootstrap/--join ignored')), 'the --bootstrap of a restore is not reported as ignored');

  // The restored cluster takes writes, and a restart resumes it (without --restore).
  await insertDoc(first, 26);
  await first.terminate();
  first.start({ bootstrap: true, args: FAST_RAFT });
  await restored.waitForVoters(2);
  const after = await restored.settled();
  t.is(after[0].digest, after[1].digest);
  t.not(after[0].digest, backupDigest);
});

/** Starts a node process that must refuse to start, and returns its exit code and log. */
async function refusedStart(t: ExecutionContext, dataDir: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const common = ['--id', 'r1', '--raft-addr', `127.0.0.1:${await freePort()}`, '--cluster-addr', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir];
  const result = await runNodeScript(t, 'cluster/node/main.ts', [...common, ...args]);
  return { code: result.code, output: result.stdout + result.stderr };
}

/** Every file under `dir` with its SHA-256, to show that a refusal changed nothing. */
async function contents(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: Record<string, string> = {};
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    files[path] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return files;
}

test('--restore is refused without --bootstrap, from a damaged or foreign file, and on a data dir holding Raft state, changing nothing', async (t) => {
  const dir = await tempDir(t);
  // Any engine snapshot restores: this one is exported by an embedded database.
  const good = join(dir, 'good.vxlsnap');
  const db = await VectorXLite.open(join(dir, 'source.db'));
  await db.createCollection({ name: 'docs', dimension: 3 });
  await db.insert({ collection: 'docs', id: 1, vector: [1, 2, 3] });
  await db.exportSnapshot(good);
  await db.close();
  const damaged = join(dir, 'damaged.vxlsnap');
  const bytes = await readFile(good);
  bytes[bytes.length - 100] ^= 0xff;
  await writeFile(damaged, bytes);
  const foreign = join(dir, 'foreign.vxlsnap');
  await writeFile(foreign, 'not a snapshot at all\n');

  const empty = join(dir, 'empty-node');
  const noBootstrap = await refusedStart(t, empty, ['--restore', good]);
  t.is(noBootstrap.code, 2);
  t.regex(noBootstrap.output, /--restore needs --bootstrap/);
  // In a --config file it would restore again at every restart.
  const yaml = join(dir, 'node.yaml');
  await writeFile(yaml, `bootstrap: true\nrestore: ${good}\n`);
  const inFile = await refusedStart(t, empty, ['--config', yaml]);
  t.is(inFile.code, 2);
  t.regex(inFile.output, /restore is accepted on the command line only/);

  for (const file of [damaged, foreign]) {
    const refused = await refusedStart(t, empty, ['--bootstrap', '--restore', file]);
    t.is(refused.code, 1);
    t.regex(refused.output, /"code":"SNAPSHOT_INVALID"/);
    t.regex(refused.output, /--restore .* cannot be used/);
    t.deepEqual(await contents(empty), {}, 'a refused restore writes nothing');
  }

  const missing = await refusedStart(t, empty, ['--bootstrap', '--restore', join(dir, 'no-such-file')]);
  t.is(missing.code, 1);
  t.regex(missing.output, /"code":"NOT_FOUND"/);
  const unreadable = await refusedStart(t, empty, ['--bootstrap', '--restore', dir]);
  t.is(unreadable.code, 1);
  t.regex(unreadable.output, /"code":"IO_ERROR"/);
  t.regex(unreadable.output, /--restore .* cannot be read/);
  t.deepEqual(await contents(empty), {}, 'a refused restore writes nothing');

  // A node that ran holds Raft state: restoring over it is refused and leaves its files alone.
  const cluster = await TestCluster.create(t);
  const member = (await cluster.addNode('m1')).start({ bootstrap: true, args: FAST_RAFT });
  await cluster.waitForLeader();
  await member.terminate();
  const before = await contents(member.dataDir);
  const overwrite = await refusedStart(t, member.dataDir, ['--bootstrap', '--restore', good]);
  t.is(overwrite.code, 1);
  t.regex(overwrite.output, /"code":"FAILED_PRECONDITION"/);
  t.regex(overwrite.output, /holds Raft state; start without --restore to resume this node/);
  t.deepEqual(await contents(member.dataDir), before, 'the refused restore left the data dir as it was');
});
