/**
 * vxctl's commands: their flags, help, and what each does against a cluster or a standalone
 * server. Each returns its result twice: as data for `--json` and as text for people.
 */
import type { VectorXLiteClient } from '../../src/client/client.js';
import type { Distance, SearchResult } from '../../src/embedded/types.js';
import type { ClusterClient, ReadConsistencyLevel } from '../client/cluster-client.js';
import { backupText, standaloneBackup } from './backup.js';
import { cell, table } from './format.js';
import { parseChoice, parseInteger, parseVector, UsageError } from './values.js';

export type Target =
  | { kind: 'cluster'; client: ClusterClient }
  | { kind: 'standalone'; client: VectorXLiteClient; address: string };

export interface FlagSpec {
  description: string;
  /** Placeholder shown in help; absent for boolean flags. */
  value?: string;
  required?: boolean;
  /** Only meaningful against a cluster. */
  clusterOnly?: boolean;
}

export type FlagValues = Record<string, string | undefined>;

export interface Outcome {
  json: unknown;
  text: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** False for cluster-only commands (membership, cluster info). */
  standalone: boolean;
  flags: Record<string, FlagSpec>;
  examples: string[];
  run(target: Target, flags: FlagValues): Promise<Outcome>;
}

const DISTANCES: readonly Distance[] = ['cosine', 'l2', 'ip'];
const CONSISTENCIES: readonly ReadConsistencyLevel[] = ['none', 'weak', 'linearizable'];

const collectionFlag: FlagSpec = { description: 'collection name', value: 'NAME', required: true };
const consistencyFlag: FlagSpec = {
  description: 'none (the contacted node, maybe stale), weak (the leader; default) or linearizable (ReadIndex)',
  value: 'LEVEL',
  clusterOnly: true,
};

/** The value of a flag the parser already checked is present (required). */
function req(flags: FlagValues, name: string): string {
  const value = flags[name];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function consistency(flags: FlagValues): ReadConsistencyLevel | undefined {
  return flags.consistency === undefined ? undefined : parseChoice('consistency', flags.consistency, CONSISTENCIES);
}

function searchTable(results: SearchResult[]): string {
  if (results.length === 0) return 'no results';
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.payload)))];
  return table(
    ['ID', 'DISTANCE', ...keys.map((k) => k.toUpperCase())],
    results.map((r) => [String(r.id), r.distance.toFixed(6), ...keys.map((k) => (k in r.payload ? cell(r.payload[k]) : ''))]),
  );
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'info',
    summary: 'leader, members and roles as the target node sees them',
    standalone: false,
    flags: {},
    examples: ['vxctl info --addr 127.0.0.1:5002'],
    async run(target) {
      if (target.kind !== 'cluster') throw new UsageError('info needs a cluster address');
      const info = await target.client.clusterInfo();
      const leader = info.leaderId ? `${info.leaderId} (cluster ${info.leaderClusterAddr || '?'}, raft ${info.leaderRaftAddr || '?'})` : 'none known';
      const rows = info.nodes.map((n) => [n.id, n.state, n.isVoter ? 'yes' : 'no', n.clusterAddr, n.raftAddr]);
      return {
        json: info,
        text: `leader: ${leader}\nanswered by a ${info.state}\n${table(['NODE', 'ROLE', 'VOTER', 'CLUSTER ADDR', 'RAFT ADDR'], rows)}`,
      };
    },
  },
  {
    name: 'create-collection',
    summary: 'create a collection',
    standalone: true,
    flags: {
      collection: collectionFlag,
      dimension: { description: 'vector dimension', value: 'N', required: true },
      distance: { description: 'cosine (default), l2 or ip', value: 'METRIC' },
      schema: { description: 'CREATE TABLE of the payload table, named like the collection', value: 'SQL' },
    },
    examples: [
      'vxctl create-collection --collection docs --dimension 3',
      `vxctl create-collection --collection docs --dimension 3 --distance l2 --schema "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)"`,
    ],
    async run(target, flags) {
      const name = req(flags, 'collection');
      await target.client.createCollection({
        name,
        dimension: parseInteger('dimension', req(flags, 'dimension'), { min: 1 }),
        distance: flags.distance === undefined ? undefined : parseChoice('distance', flags.distance, DISTANCES),
        payloadSchema: flags.schema,
      });
      return { json: { ok: true }, text: `created collection ${name}` };
    },
  },
  {
    name: 'insert',
    summary: 'insert one point',
    standalone: true,
    flags: {
      collection: collectionFlag,
      id: { description: 'point id (integer)', value: 'ID', required: true },
      vector: { description: 'JSON array or comma list of numbers', value: 'VECTOR', required: true },
      payload: { description: "INSERT into the collection's table; the row's rowid becomes the id", value: 'SQL' },
    },
    examples: [
      'vxctl insert --collection docs --id 1 --vector 0.1,0.2,0.3',
      `vxctl insert --collection docs --id 2 --vector "[0.3,0.2,0.1]" --payload "INSERT INTO docs (title) VALUES ('second')"`,
    ],
    async run(target, flags) {
      const collection = req(flags, 'collection');
      const id = parseInteger('id', req(flags, 'id'));
      await target.client.insert({ collection, id, vector: parseVector('vector', req(flags, 'vector')), payloadInsertQuery: flags.payload });
      return { json: { ok: true }, text: `inserted point ${id} into ${collection}` };
    },
  },
  {
    name: 'search',
    summary: 'nearest points to a vector, optionally among the rows a SELECT matches',
    standalone: true,
    flags: {
      collection: collectionFlag,
      vector: { description: 'JSON array or comma list of numbers', value: 'VECTOR', required: true },
      'top-k': { description: 'how many results (default 10)', value: 'K' },
      payload: { description: "SELECT over the collection's table; its columns come back as payload", value: 'SQL' },
      consistency: consistencyFlag,
    },
    examples: [
      'vxctl search --collection docs --vector 0.1,0.2,0.3 --top-k 5',
      `vxctl search --collection docs --vector "[0.1,0.2,0.3]" --payload "SELECT rowid, title FROM docs" --consistency linearizable --json`,
    ],
    async run(target, flags) {
      const options = {
        collection: req(flags, 'collection'),
        vector: parseVector('vector', req(flags, 'vector')),
        topK: flags['top-k'] === undefined ? undefined : parseInteger('top-k', flags['top-k'], { min: 1 }),
        payloadSearchQuery: flags.payload,
      };
      const results =
        target.kind === 'cluster' ? await target.client.search({ ...options, consistency: consistency(flags) }) : await target.client.search(options);
      return { json: results, text: searchTable(results) };
    },
  },
  {
    name: 'delete',
    summary: 'delete one point',
    standalone: true,
    flags: { collection: collectionFlag, id: { description: 'point id (integer)', value: 'ID', required: true } },
    examples: ['vxctl delete --collection docs --id 2'],
    async run(target, flags) {
      const collection = req(flags, 'collection');
      const id = parseInteger('id', req(flags, 'id'));
      if (target.kind === 'standalone') {
        const existed = await target.client.delete({ collection, id });
        return { json: { ok: true, existed }, text: existed ? `deleted point ${id} from ${collection}` : `no point ${id} in ${collection}; nothing deleted` };
      }
      // cluster.v1's DeleteResponse does not say whether the point existed.
      await target.client.delete({ collection, id });
      return { json: { ok: true }, text: `deleted point ${id} from ${collection} (if it existed)` };
    },
  },
  {
    name: 'delete-collection',
    summary: 'delete a collection with its points and payload table',
    standalone: true,
    flags: { collection: collectionFlag },
    examples: ['vxctl delete-collection --collection docs'],
    async run(target, flags) {
      const collection = req(flags, 'collection');
      await target.client.deleteCollection(collection);
      return { json: { ok: true }, text: `deleted collection ${collection}` };
    },
  },
  {
    name: 'exists',
    summary: 'whether a collection exists',
    standalone: true,
    flags: { collection: collectionFlag, consistency: consistencyFlag },
    examples: ['vxctl exists --collection docs', 'vxctl exists --collection docs --consistency none --json'],
    async run(target, flags) {
      const collection = req(flags, 'collection');
      const exists =
        target.kind === 'cluster'
          ? await target.client.collectionExists(collection, { consistency: consistency(flags) })
          : await target.client.collectionExists(collection);
      return { json: { exists }, text: exists ? `collection ${collection} exists` : `collection ${collection} does not exist` };
    },
  },
  {
    name: 'join',
    summary: 'add a started node to the cluster as a voter',
    standalone: false,
    flags: {
      'node-id': { description: "the joining node's --id", value: 'ID', required: true },
      'raft-addr': { description: "the joining node's Raft address", value: 'HOST:PORT', required: true },
      'cluster-addr': { description: "the joining node's client API address", value: 'HOST:PORT', required: true },
    },
    examples: ['vxctl join --addr 127.0.0.1:5002 --node-id node4 --raft-addr 127.0.0.1:5031 --cluster-addr 127.0.0.1:5032'],
    async run(target, flags) {
      if (target.kind !== 'cluster') throw new UsageError('join needs a cluster address');
      const nodeId = req(flags, 'node-id');
      const { leaderId } = await target.client.join({ nodeId, raftAddr: req(flags, 'raft-addr'), clusterAddr: req(flags, 'cluster-addr') });
      return { json: { ok: true, leaderId }, text: `${nodeId} is a member (leader ${leaderId})` };
    },
  },
  {
    name: 'backup',
    summary: 'save an online backup (a snapshot file) and verify it',
    standalone: true,
    flags: {
      out: { description: 'file to write (replaced atomically, only once the backup is complete and verified)', value: 'FILE', required: true },
      'chunk-size': { description: "bytes per streamed message (default: the target's, 1 MiB for a cluster, 64 KiB for a standalone server)", value: 'BYTES' },
    },
    examples: [
      'vxctl backup --addr 127.0.0.1:5002,127.0.0.1:5012 --out backups/cluster.vxlsnap',
      'vxctl backup --out cluster.vxlsnap --json',
      'vxctl backup --standalone --addr 127.0.0.1:50051 --out backups/server.vxlsnap',
    ],
    async run(target, flags) {
      const chunkSize = flags['chunk-size'] === undefined ? 0 : parseInteger('chunk-size', flags['chunk-size'], { min: 1 });
      const out = req(flags, 'out');
      const saved = target.kind === 'cluster' ? await target.client.backup(out, { chunkSize }) : await standaloneBackup(target.client, target.address, out, chunkSize);
      return { json: saved, text: backupText(saved) };
    },
  },
  {
    name: 'leave',
    summary: 'remove a node from the cluster',
    standalone: false,
    flags: { 'node-id': { description: 'the leaving node', value: 'ID', required: true } },
    examples: ['vxctl leave --addr 127.0.0.1:5002 --node-id node4'],
    async run(target, flags) {
      if (target.kind !== 'cluster') throw new UsageError('leave needs a cluster address');
      const nodeId = req(flags, 'node-id');
      await target.client.leave(nodeId);
      return { json: { ok: true }, text: `${nodeId} left the cluster` };
    },
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
