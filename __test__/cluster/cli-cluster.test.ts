import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import type { ClusterBackup } from '../../cluster/client/cluster-client.js';
import type { ClusterInfo } from '../../cluster/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { FAST_RAFT, TestCluster, waitFor } from './helpers/cluster.js';
import { vxctl, vxctlJson } from './helpers/vxctl.js';

test('info, data commands, join and leave against a 3-node cluster', async (t) => {
  // Default Raft timings: the test names the leader, so spurious elections on a loaded machine must be rare.
  const cluster = await TestCluster.start(t, 3, []);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;

  const info = await vxctlJson<ClusterInfo>(['info', '--addr', follower.clusterAddr]);
  t.is(info.leaderId, leader.id);
  t.is(info.leaderClusterAddr, leader.clusterAddr);
  t.is(info.leaderRaftAddr, leader.raftAddr);
  t.is(info.state, 'follower');
  t.deepEqual(
    info.nodes.map((n) => [n.id, n.clusterAddr, n.raftAddr, n.isVoter]).sort(),
    cluster.nodes.map((n) => [n.id, n.clusterAddr, n.raftAddr, true]).sort(),
  );

  const text = await vxctl(['info', '--addr', follower.clusterAddr]);
  t.is(text.code, 0);
  const lines = text.stdout.trimEnd().split('\n');
  t.is(lines[0], `leader: ${leader.id} (cluster ${leader.clusterAddr}, raft ${leader.raftAddr})`);
  t.is(lines[1], 'answered by a follower');
  t.deepEqual(lines[2].split(/\s{2,}/), ['NODE', 'ROLE', 'VOTER', 'CLUSTER ADDR', 'RAFT ADDR']);
  t.deepEqual(lines[3 + cluster.nodes.indexOf(leader)].split(/\s+/), [leader.id, 'leader', 'yes', leader.clusterAddr, leader.raftAddr]);

  // The data commands take several members; none of them needs to be the leader.
  const members = ['--addr', cluster.nodes.filter((n) => n !== leader).map((n) => n.clusterAddr).join(',')];
  await vxctlJson(['create-collection', ...members, '--collection', 'docs', '--dimension', '2']);
  await vxctlJson(['insert', ...members, '--collection', 'docs', '--id', '1', '--vector', '[1,0]']);
  await vxctlJson(['insert', ...members, '--collection', 'docs', '--id', '2', '--vector', '0,1']);
  const hits = await vxctlJson<Array<{ id: number }>>(['search', ...members, '--collection', 'docs', '--vector', '1,0', '--consistency', 'linearizable']);
  t.deepEqual(hits.map((h) => h.id), [1, 2]);
  t.deepEqual(await vxctlJson(['delete', ...members, '--collection', 'docs', '--id', '2']), { ok: true });
  t.deepEqual(await vxctlJson(['exists', ...members, '--collection', 'docs', '--consistency', 'weak']), { exists: true });
  t.deepEqual(await vxctlJson(['delete-collection', ...members, '--collection', 'docs']), { ok: true });
  const missing = await vxctl(['delete-collection', ...members, '--collection', 'docs']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^error: NOT_FOUND: /);

  // A fourth node joins by itself (--join), leaves through vxctl, and is added back through vxctl.
  const fourth = (await cluster.addNode('n4')).start({ join: follower.clusterAddr });
  await cluster.waitForVoters(4);
  const members4 = async () => (await vxctlJson<ClusterInfo>(['info', '--addr', leader.clusterAddr])).nodes.map((n) => n.id).sort();

  const left = await vxctl(['leave', '--addr', follower.clusterAddr, '--node-id', 'n4']);
  t.is(left.code, 0, left.stderr);
  t.is(left.stdout, 'n4 left the cluster\n');
  await waitFor('n4 gone from the membership', async () => ((await members4()).includes('n4') ? undefined : true));
  t.deepEqual(await members4(), ['n1', 'n2', 'n3']);

  const joinArgs = ['join', '--addr', follower.clusterAddr, '--node-id', 'n4', '--raft-addr', fourth.raftAddr, '--cluster-addr', fourth.clusterAddr];
  t.deepEqual(await vxctlJson(joinArgs), { ok: true, leaderId: leader.id });
  await cluster.waitForVoters(4);
  // Joining a voter again changes nothing and succeeds.
  t.is((await vxctl(joinArgs)).stdout, `n4 is a member (leader ${leader.id})\n`);
  t.deepEqual(await members4(), ['n1', 'n2', 'n3', 'n4']);
});

test('over TLS: vxctl trusts the node through --tls-ca; without TLS the call fails', async (t) => {
  const dir = await tempDir(t);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ]);
  const cluster = await TestCluster.create(t);
  const node = (await cluster.addNode('n1')).start({ bootstrap: true, args: [...FAST_RAFT, '--tls-cert', cert, '--tls-key', key] });
  const tls = ['--addr', node.clusterAddr, '--tls-ca', cert];
  const info = await waitFor('a leader over TLS', async () => {
    const i = await vxctlJson<ClusterInfo>(['info', ...tls]);
    return i.leaderId === 'n1' ? i : undefined;
  });
  t.is(info.leaderClusterAddr, node.clusterAddr);
  await vxctlJson(['create-collection', ...tls, '--collection', 'docs', '--dimension', '2']);
  t.deepEqual(await vxctlJson(['exists', ...tls, '--collection', 'docs', '--consistency', 'linearizable']), { exists: true });

  const plain = await vxctl(['exists', '--addr', node.clusterAddr, '--collection', 'docs', '--deadline-ms', '2000']);
  t.is(plain.code, 1);
  t.regex(plain.stderr, /^error: (UNAVAILABLE|DEADLINE_EXCEEDED): /);
});

test('backup: a verified snapshot file written atomically, through a follower that redirects under --no-forward', async (t) => {
  const cluster = await TestCluster.start(t, 2, [...FAST_RAFT, '--no-forward']);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n !== leader)!;
  const members = ['--addr', `${follower.clusterAddr},${leader.clusterAddr}`];
  await vxctlJson(['create-collection', ...members, '--collection', 'docs', '--dimension', '2']);
  await vxctlJson(['insert', ...members, '--collection', 'docs', '--id', '1', '--vector', '1,0']);
  const dir = await tempDir(t);
  const out = join(dir, 'cluster.vxlsnap');

  const text = await vxctl(['backup', '--addr', follower.clusterAddr, '--out', out]);
  t.is(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  t.is(lines[0], `backup written to ${out} and verified (every SHA-256 matches)`);
  t.regex(lines[1], new RegExp(`^  ${(await stat(out)).size} bytes, sha256 [0-9a-f]{64}$`));
  t.regex(lines[2], new RegExp(`^  taken by leader ${leader.id} at log index \\d+, term \\d+; members n1, n2$`));

  // Taken again over the same file: replaced whole, and --json describes it.
  const saved = await vxctlJson<ClusterBackup>(['backup', '--addr', follower.clusterAddr, '--out', out, '--chunk-size', '1000']);
  t.is(saved.file, out);
  t.is(saved.via, leader.clusterAddr, 'the follower redirected the call to the leader');
  t.is(saved.leaderId, leader.id);
  t.is(saved.size, (await stat(out)).size);
  t.is(saved.sha256, createHash('sha256').update(await readFile(out)).digest('hex'));
  t.deepEqual(saved.members.map((m) => m.id).sort(), ['n1', 'n2']);
  t.deepEqual(await readdir(dir), ['cluster.vxlsnap'], 'no temporary file is left behind');

  const badChunk = await vxctl(['backup', ...members, '--out', out, '--chunk-size', '0']);
  t.is(badChunk.code, 2);
  t.regex(badChunk.stderr, /--chunk-size must be an integer of at least 1/);
  const hugeChunk = await vxctl(['backup', ...members, '--out', out, '--chunk-size', String(64 * 1024 * 1024)]);
  t.is(hugeChunk.code, 1);
  t.regex(hugeChunk.stderr, /^error: INVALID_ARGUMENT: chunk_size must be between/);
  const noDir = await vxctl(['backup', ...members, '--out', join(dir, 'missing', 'b.vxlsnap')]);
  t.is(noDir.code, 1);
  t.regex(noDir.stderr, /^error: IO_ERROR: cannot write the backup next to /);
  // Writing the file fails after the download (a directory is in the way): the file system's
  // failure is IO_ERROR, not a bug of vxctl, and the temporary file is removed.
  await mkdir(join(dir, 'taken'));
  const renameFails = await vxctl(['backup', ...members, '--out', join(dir, 'taken')]);
  t.is(renameFails.code, 1);
  t.regex(renameFails.stderr, /^error: IO_ERROR: cannot save the backup as .*taken: /);
  t.deepEqual(await readdir(join(dir, 'taken')), []);
  await rmdir(join(dir, 'taken'));
  t.deepEqual(await readdir(dir), ['cluster.vxlsnap'], 'failed backups leave the earlier file alone and nothing else');
  t.is(saved.sha256, createHash('sha256').update(await readFile(out)).digest('hex'));
});
