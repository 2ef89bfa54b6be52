/**
 * Settings of a cluster node: command-line flags, optionally on top of a YAML file
 * (`--config`, keys named like the flags); flags override the file, the file overrides the
 * defaults. Every rule is checked here, each with a sentence saying how to fix it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { VectorXLiteError } from '../../src/errors.js';
import { LogLevels, type LogLevel } from '../../src/observability/logger.js';
import { DEFAULT_LIMITS, type RequestLimits } from '../../src/server/limits.js';

export interface NodeConfig {
  id: string;
  raftAddr: string;
  clusterAddr: string;
  dataDir: string;
  bootstrap: boolean;
  /** Cluster address of any member to join through (only on an empty data dir). */
  join?: string;
  /** A backup to start a new one-voter cluster from (with --bootstrap, empty data dir only; see restore.ts). */
  restore?: string;
  /** Restart-time recovery from a lost majority: make this node the only voter (see force-new-cluster.ts). */
  forceNewCluster: boolean;
  /** A standalone server used as the state machine (emptied at every start, rebuilt from the log). */
  vectorAddr?: string;
  vectorToken?: string;
  logLevel: LogLevel;
  /** HTTP /metrics and /health/*; 0 turns the endpoint off. */
  metricsPort: number;
  /** Protects the cluster API and the Raft port (peers present the same token). */
  authToken?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /** False under --no-forward: followers answer writes with a redirect. */
  forward: boolean;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  snapshotThreshold: number;
  snapshotTrailing: number;
  maxMessageBytes: number;
  shutdownTimeoutMs: number;
  limits: RequestLimits;
}

export const NODE_DEFAULTS = {
  logLevel: 'info' as LogLevel,
  metricsPort: 0,
  forward: true,
  tickMs: 100,
  electionTicks: 10,
  heartbeatTicks: 1,
  snapshotThreshold: 10_000,
  snapshotTrailing: 1_000,
  maxMessageBytes: 64 * 1024 * 1024,
  shutdownTimeoutMs: 10_000,
};

interface FlagSpec {
  kind: 'string' | 'boolean' | 'integer';
  value?: string;
  help: string;
  min?: number;
  max?: number;
  /** Refused in a --config file, which later restarts reuse; says why the flag must not repeat. */
  commandLineOnly?: string;
}

const FLAGS: Record<string, FlagSpec> = {
  id: { kind: 'string', value: '<id>', help: 'this node\'s stable id (required)' },
  'raft-addr': { kind: 'string', value: '<host:port>', help: 'Raft port: listened on and dialled by peers, so give a reachable address (required)' },
  'cluster-addr': { kind: 'string', value: '<host:port>', help: 'client API (cluster.v1) port, reachable by clients and peers (required)' },
  'data-dir': { kind: 'string', value: '<dir>', help: 'Raft log, snapshots and the state machine database (required)' },
  bootstrap: { kind: 'boolean', help: 'start a new cluster with this node as its only voter (empty data dir only)' },
  restore: { kind: 'string', value: '<file>', help: 'with --bootstrap: the new cluster starts with the data of this backup (vxctl backup); empty data dir and command line only', commandLineOnly: 'a restart resumes the restored node instead of restoring again' },
  join: { kind: 'string', value: '<host:port>', help: 'join the cluster through any member\'s cluster address (empty data dir only); with neither this nor --bootstrap, an empty node waits until a member adds it (vxctl join)' },
  'force-new-cluster': { kind: 'boolean', help: 'recovery from a permanently lost majority: restart this surviving node as the only voter, keeping its data (command line only; may lose writes it never received; see docs/cluster.md)', commandLineOnly: 'a later restart cannot repeat it by accident' },
  'vector-addr': { kind: 'string', value: '<host:port>', help: 'a standalone VectorXLite server, dedicated to this node, holds the data instead of the embedded engine (emptied at every start)' },
  'vector-token': { kind: 'string', value: '<token>', help: 'auth token of the --vector-addr server' },
  'log-level': { kind: 'string', value: '<level>', help: `${LogLevels.join('|')} (default ${NODE_DEFAULTS.logLevel})` },
  'metrics-port': { kind: 'integer', value: '<n>', min: 0, max: 65535, help: 'HTTP port for /metrics, /health/live, /health/ready; 0 turns it off (default 0)' },
  'auth-token': { kind: 'string', value: '<token>', help: 'token clients and peers must present (authorization: Bearer <token>) on the API and Raft ports' },
  'tls-cert': { kind: 'string', value: '<file>', help: 'PEM certificate chain; with --tls-key both ports speak TLS only (the Raft port mutual TLS)' },
  'tls-key': { kind: 'string', value: '<file>', help: 'PEM private key for --tls-cert' },
  'tls-ca': { kind: 'string', value: '<file>', help: 'PEM CA that nodes\' certificates chain to (default: --tls-cert itself, for a shared self-signed certificate)' },
  'no-forward': { kind: 'boolean', help: 'followers refuse writes with FAILED_PRECONDITION and x-leader-addr instead of forwarding them' },
  'tick-ms': { kind: 'integer', value: '<n>', min: 1, max: 60_000, help: `milliseconds per Raft tick (default ${NODE_DEFAULTS.tickMs})` },
  'election-ticks': { kind: 'integer', value: '<n>', min: 2, max: 10_000, help: `election timeout in ticks, randomized up to twice that (default ${NODE_DEFAULTS.electionTicks})` },
  'heartbeat-ticks': { kind: 'integer', value: '<n>', min: 1, max: 10_000, help: `ticks between leader heartbeats (default ${NODE_DEFAULTS.heartbeatTicks})` },
  'snapshot-threshold': { kind: 'integer', value: '<n>', min: 1, max: 1e9, help: `applied entries between snapshots (default ${NODE_DEFAULTS.snapshotThreshold})` },
  'snapshot-trailing': { kind: 'integer', value: '<n>', min: 0, max: 1e9, help: `entries kept before a snapshot for slightly lagging followers (default ${NODE_DEFAULTS.snapshotTrailing})` },
  'max-message-bytes': { kind: 'integer', value: '<n>', min: 1024 * 1024, max: 2 ** 31 - 1, help: `largest gRPC message (default ${NODE_DEFAULTS.maxMessageBytes})` },
  'shutdown-timeout-ms': { kind: 'integer', value: '<n>', min: 0, max: 3_600_000, help: `how long SIGTERM waits for in-flight calls (default ${NODE_DEFAULTS.shutdownTimeoutMs})` },
  config: { kind: 'string', value: '<file.yaml>', help: 'read these settings from YAML (keys as the flag names); flags override it' },
};

export function helpText(): string {
  const lines = Object.entries(FLAGS).map(([name, f]) => `${`  --${name}${f.value ? ` ${f.value}` : ''}`.padEnd(34)}${f.help}`);
  return ['Usage: vectorxlite-cluster [options]', '', 'Runs one node of a VectorXLite Raft cluster (cluster.v1 API).', '', ...lines, '  --help                          print this help and exit', ''].join('\n');
}

export type ParsedNodeCommandLine = { help: true } | { help: false; config: NodeConfig };

function invalid(message: string): VectorXLiteError {
  return new VectorXLiteError('INVALID_ARGUMENT', message);
}

type RawSettings = Record<string, string | boolean | number | undefined>;

function readYaml(path: string): RawSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(`cannot read --config ${path}: ${(error as Error).message}`);
  }
  const data: unknown = parseYaml(text);
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw invalid(`--config ${path} must hold a mapping of settings`);
  for (const key of Object.keys(data)) {
    if (!(key in FLAGS) || key === 'config') throw invalid(`--config ${path}: unknown setting "${key}"; use the flag names (run with --help)`);
    const why = FLAGS[key].commandLineOnly;
    if (why !== undefined) throw invalid(`${key} is accepted on the command line only, so ${why}; remove it from the --config file`);
  }
  return data as RawSettings;
}

/** --force-new-cluster resumes existing state, which --bootstrap and --join create. */
function checkForceNewCluster(config: NodeConfig): void {
  if (config.forceNewCluster && (config.bootstrap || config.join !== undefined)) {
    throw invalid('--force-new-cluster restarts a surviving node from its own data; drop --bootstrap and --join');
  }
}

/** --restore creates a new cluster, so it goes with --bootstrap (and is command-line only, see FLAGS). */
function checkRestore(config: NodeConfig): void {
  if (config.restore !== undefined && !config.bootstrap) throw invalid('--restore needs --bootstrap: the backup becomes a new one-node cluster, which other nodes then --join');
}

/** Flags over the YAML file over the defaults; throws INVALID_ARGUMENT naming the bad setting. */
export function parseNodeCommandLine(argv: string[]): ParsedNodeCommandLine {
  let flags: RawSettings;
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: f.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
    flags = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw invalid(`${(error as Error).message}; run with --help for the options`);
  }
  if (flags.help) return { help: true };
  const file = typeof flags.config === 'string' ? readYaml(flags.config) : {};
  const raw = (name: string): string | boolean | number | undefined => flags[name] ?? file[name];
  const text = (name: string): string | undefined => {
    const value = raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value === '') throw invalid(`--${name} must be a non-empty string`);
    return value;
  };
  const flag = (name: string): boolean => {
    const value = raw(name);
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw invalid(`${name} must be true or false`);
    return value;
  };
  const integer = (name: string, fallback: number): number => {
    const value = raw(name);
    if (value === undefined || value === null) return fallback;
    const spec = FLAGS[name];
    const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < spec.min! || n > spec.max!) throw invalid(`--${name} must be an integer from ${spec.min} to ${spec.max}, got "${String(value)}"`);
    return n;
  };
  const required = (name: string): string => {
    const value = text(name);
    if (value === undefined) throw invalid(`--${name} is required (run with --help)`);
    return value;
  };
  const address = (name: string, value: string | undefined): void => {
    if (value !== undefined && !/^.+:\d+$/.test(value)) throw invalid(`--${name} must be host:port, got "${value}"`);
  };
  const logLevel = text('log-level') ?? NODE_DEFAULTS.logLevel;
  if (!(LogLevels as readonly string[]).includes(logLevel)) throw invalid(`--log-level must be one of ${LogLevels.join(', ')}, got "${logLevel}"`);
  const config: NodeConfig = {
    id: required('id'),
    raftAddr: required('raft-addr'),
    clusterAddr: required('cluster-addr'),
    dataDir: required('data-dir'),
    bootstrap: flag('bootstrap'),
    restore: text('restore'),
    join: text('join'),
    forceNewCluster: flag('force-new-cluster'),
    vectorAddr: text('vector-addr'),
    vectorToken: text('vector-token'),
    logLevel: logLevel as LogLevel,
    metricsPort: integer('metrics-port', NODE_DEFAULTS.metricsPort),
    authToken: text('auth-token'),
    tlsCert: text('tls-cert'),
    tlsKey: text('tls-key'),
    tlsCa: text('tls-ca'),
    forward: !flag('no-forward'),
    tickMs: integer('tick-ms', NODE_DEFAULTS.tickMs),
    electionTicks: integer('election-ticks', NODE_DEFAULTS.electionTicks),
    heartbeatTicks: integer('heartbeat-ticks', NODE_DEFAULTS.heartbeatTicks),
    snapshotThreshold: integer('snapshot-threshold', NODE_DEFAULTS.snapshotThreshold),
    snapshotTrailing: integer('snapshot-trailing', NODE_DEFAULTS.snapshotTrailing),
    maxMessageBytes: integer('max-message-bytes', NODE_DEFAULTS.maxMessageBytes),
    shutdownTimeoutMs: integer('shutdown-timeout-ms', NODE_DEFAULTS.shutdownTimeoutMs),
    limits: DEFAULT_LIMITS,
  };
  address('raft-addr', config.raftAddr);
  address('cluster-addr', config.clusterAddr);
  address('join', config.join);
  address('vector-addr', config.vectorAddr);
  if (config.bootstrap && config.join !== undefined) throw invalid('--bootstrap and --join exclude each other: bootstrap the first node, join the others');
  checkRestore(config);
  checkForceNewCluster(config);
  if (config.vectorToken !== undefined && config.vectorAddr === undefined) throw invalid('--vector-token needs --vector-addr');
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) throw invalid('--tls-cert and --tls-key must be given together');
  if (config.tlsCa !== undefined && config.tlsCert === undefined) throw invalid('--tls-ca needs --tls-cert and --tls-key');
  if (config.heartbeatTicks >= config.electionTicks) throw invalid('--heartbeat-ticks must be below --election-ticks');
  return { help: false, config };
}
