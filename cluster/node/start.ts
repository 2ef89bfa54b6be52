/**
 * Assembles one cluster node: the RaftNode, the client API (ClusterService, ClusterAdmin and
 * grpc.health.v1 on the cluster address), /metrics and /health, joining when asked, and the
 * graceful shutdown (leadership handed over first).
 */
import { readFile } from 'node:fs/promises';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { VectorXLiteError } from '../../src/errors.js';
import { startObservabilityHttp } from '../../src/observability/http.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { CallAdapter } from '../../src/server/adapter.js';
import { drain } from '../../src/server/drain.js';
import { BearerTokenAuth } from '../../src/server/auth.js';
import { HealthService, ServingStatus } from '../../src/server/health-service.js';
import type { DriverEvent } from '../consensus/driver.js';
import type { NodeId } from '../consensus/types.js';
import { describeMembers, EMPTY_MEMBERSHIP } from '../consensus/membership.js';
import { ClusterMetrics, type RaftView } from '../runtime/metrics.js';
import { RaftNode } from '../runtime/raft-node.js';
import type { TransportTls } from '../transport/grpc/index.js';
import { ADMIN_SERVICE_NAME } from '../server/admin-proto.js';
import { AdminService } from '../server/admin-service.js';
import { CLUSTER_SERVICE_NAME, ClusterService } from '../server/cluster-service.js';
import { LeaderRouter } from '../server/leader-router.js';
import { PeerClients } from '../server/peer-client.js';
import type { NodeConfig } from './config.js';
import { forceNewCluster } from './force-new-cluster.js';
import { joinCluster } from './join.js';
import { restoreBackup } from './restore.js';

export interface RunningClusterNode {
  node: RaftNode;
  /** The bound HTTP port, or undefined when the endpoint is off. */
  metricsPort: number | undefined;
  /** Hands leadership over (if leading), stops serving, closes the stores and the engine. Idempotent. */
  shutdown(): Promise<void>;
}

const JOIN_CATCH_UP_MS = 60_000;
const HAND_OFF_MS = 5_000;
const FORWARD_TIMEOUT_MS = 30_000;

async function tlsMaterial(config: NodeConfig): Promise<TransportTls | undefined> {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  try {
    const [cert, key] = await Promise.all([readFile(config.tlsCert), readFile(config.tlsKey)]);
    const ca = config.tlsCa === undefined ? cert : await readFile(config.tlsCa);
    return { cert, key, ca };
  } catch (error) {
    throw new VectorXLiteError('INVALID_ARGUMENT', `cannot read the TLS files: ${(error as Error).message}`, { cause: error });
  }
}

function bind(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (error, port) => {
      if (error) reject(new VectorXLiteError('UNAVAILABLE', `cannot listen on ${address}: ${error.message}`, { cause: error }));
      else resolve(port);
    });
  });
}

export async function startClusterNode(config: NodeConfig, logger: Logger): Promise<RunningClusterNode> {
  // The root logger carries the node id; each component adds only its name.
  const log = logger.child({ component: 'cluster-node' });
  const tls = await tlsMaterial(config);
  if (config.restore !== undefined) await restoreBackup({ ...config, restore: config.restore }, log);
  let node: RaftNode | undefined;
  const metrics = createMetrics({
    defaultLabels: { node_id: config.id },
    collectionSizes: async () => (node ? (await node.engine.listCollections()).map((c) => ({ name: c.name, count: c.count })) : []),
  });
  const view: RaftView = {
    id: config.id,
    role: () => node?.status().role ?? 'follower',
    leaderId: () => node?.status().leaderId ?? null,
    term: () => node?.status().term ?? 0,
    commit: () => node?.status().commit ?? 0,
    applied: () => node?.status().applied ?? 0,
    lastIndex: () => node?.status().lastIndex ?? 0,
    membership: () => node?.status().membership ?? EMPTY_MEMBERSHIP,
    matchIndexes: () => node?.matchIndexes() ?? new Map(),
  };
  const clusterMetrics = new ClusterMetrics(metrics.registry, view, config.tickMs * config.electionTicks * 2);
  const events = eventLogger(logger.child({ component: 'raft' }), config.id, clusterMetrics);
  // Up before the node opens, so /health/live answers while the log is replayed.
  let ready: () => boolean = () => false;
  const http =
    config.metricsPort === 0
      ? undefined
      : await startObservabilityHttp({ host: '127.0.0.1', port: config.metricsPort, registry: metrics.registry, isReady: () => ready() });
  try {
    if (config.forceNewCluster) forceNewCluster(config.dataDir, { id: config.id, voter: true, raftAddr: config.raftAddr, clusterAddr: config.clusterAddr }, log);
    node = await RaftNode.open({
      id: config.id,
      raftAddr: config.raftAddr,
      clusterAddr: config.clusterAddr,
      dataDir: config.dataDir,
      bootstrap: config.bootstrap,
      token: config.authToken,
      tls,
      vectorAddr: config.vectorAddr,
      vectorToken: config.vectorToken,
      maxMessageBytes: config.maxMessageBytes,
      tickMs: config.tickMs,
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      snapshotThreshold: config.snapshotThreshold,
      snapshotTrailing: config.snapshotTrailing,
      logger: logger.child({ component: 'state-machine' }),
      transportHooks: clusterMetrics.transportHooks(),
      onEvent: events,
      onFatal: (error) => {
        log.fatal({ err: error }, 'the Raft node stopped after a storage or state machine failure; exiting');
        process.exit(1);
      },
    });
  } catch (error) {
    await http?.close();
    throw error;
  }
  const raftNode = node;
  ready = readiness(raftNode);
  const peers = new PeerClients({ authToken: config.authToken, tlsCa: tls?.ca, maxMessageBytes: config.maxMessageBytes });
  const adapter = new CallAdapter({
    logger: logger.child({ component: 'cluster-api' }),
    metrics,
    auth: config.authToken === undefined ? undefined : new BearerTokenAuth(config.authToken),
  });
  const router = new LeaderRouter(raftNode, peers, { forward: config.forward, metrics: clusterMetrics, forwardTimeoutMs: FORWARD_TIMEOUT_MS });
  const server = new Server({ 'grpc.max_receive_message_length': config.maxMessageBytes, 'grpc.max_send_message_length': config.maxMessageBytes });
  new ClusterService({ node: raftNode, adapter, router, limits: config.limits, joinCatchUpMs: JOIN_CATCH_UP_MS, handOffMs: HAND_OFF_MS }).addTo(server);
  new AdminService({ node: raftNode, adapter, router, limits: config.limits, peers }).addTo(server);
  const health = new HealthService(adapter, { '': ServingStatus.SERVING, [CLUSTER_SERVICE_NAME]: ServingStatus.SERVING, [ADMIN_SERVICE_NAME]: ServingStatus.SERVING });
  health.addTo(server);

  try {
    const creds = tls ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false) : ServerCredentials.createInsecure();
    await bind(server, config.clusterAddr, creds);
  } catch (error) {
    server.forceShutdown();
    await raftNode.close();
    await http?.close();
    throw error;
  }
  log.info(
    { raftAddr: config.raftAddr, clusterAddr: config.clusterAddr, metricsPort: http?.port, dataDir: config.dataDir, vectorAddr: config.vectorAddr, fresh: raftNode.fresh, forward: config.forward },
    'cluster node listening',
  );

  const joining = new AbortController();
  if (raftNode.fresh && config.join !== undefined) {
    joinCluster({
      via: config.join,
      id: config.id,
      raftAddr: config.raftAddr,
      clusterAddr: config.clusterAddr,
      peers,
      addContacts: (members) => raftNode.addContacts(members),
      logger: log,
      callTimeoutMs: JOIN_CATCH_UP_MS + 10_000,
      signal: joining.signal,
    }).catch((error: unknown) => {
      log.fatal({ err: error }, 'the cluster refused to add this node; exiting');
      process.exit(1);
    });
  } else if (!raftNode.fresh && config.restore === undefined && (config.bootstrap || config.join !== undefined)) {
    // Not after a restore: its --bootstrap is what wrote this Raft state a moment ago.
    log.info('the data directory holds Raft state: resuming as the member it was (--bootstrap/--join ignored)');
  } else if (raftNode.fresh && !config.bootstrap) {
    log.info(
      { addWith: `vxctl --addr <member cluster addr> join --node-id ${config.id} --raft-addr ${config.raftAddr} --cluster-addr ${config.clusterAddr}` },
      'empty data dir and neither --bootstrap nor --join: waiting until a member adds this node to its cluster',
    );
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      joining.abort();
      if (raftNode.isLeader) {
        const handedOff = await raftNode.handOffLeadership(HAND_OFF_MS);
        log.info({ handedOff, leaderId: raftNode.status().leaderId }, handedOff ? 'leadership handed over before shutdown' : 'could not hand leadership over before shutdown');
      }
      health.shutdown();
      await drain(server, config.shutdownTimeoutMs, log);
      peers.close();
      await raftNode.close();
      await http?.close();
      log.info('stores and engine closed; node stopped');
    })();
    return stopping;
  };
  return { node: raftNode, metricsPort: http?.port, shutdown };
}

/**
 * Ready once a leader is known, this node is a member of its configuration, and it has applied
 * everything committed when it first saw both (so a restarted or newly added node is not ready
 * while it replays or catches up).
 */
function readiness(node: RaftNode): () => boolean {
  let target: number | undefined;
  return () => {
    const status = node.status();
    // A node waiting to be added, or removed, follows no configuration of its own.
    if (status.leaderId === null || !status.membership.members.some((m) => m.id === node.id)) return false;
    target ??= status.commit;
    return status.applied >= target;
  };
}

function eventLogger(log: Logger, self: NodeId, metrics: ClusterMetrics): (event: DriverEvent) => void {
  let leader: NodeId | null = null;
  let wasMember = false;
  /** Started outside any configuration (waiting to be added or joining): report the moment it is added. */
  let outside = false;
  return (event) => {
    switch (event.type) {
      case 'role':
        log.info({ role: event.role, leaderId: event.leaderId, term: event.term }, event.role === 'leader' ? 'elected leader' : `now ${event.role}`);
        if (event.leaderId !== leader) {
          leader = event.leaderId;
          if (leader !== null) {
            metrics.leaderChanges.inc();
            log.info({ leaderId: leader, term: event.term }, 'leader changed');
          }
        }
        return;
      case 'membership':
        log.info({ members: describeMembers(event.membership) }, 'membership changed');
        if (event.membership.members.some((m) => m.id === self)) {
          if (outside && !wasMember) log.info('this node was added to the cluster; catching up from the leader');
          wasMember = true;
        } else if (wasMember) log.warn('this node was removed from the cluster; stop it');
        else outside = true;
        return;
      case 'snapshot-taken':
        log.info({ index: event.index, term: event.term }, 'snapshot taken; log compacted');
        return;
      case 'snapshot-installed':
        log.info({ index: event.index, term: event.term }, 'snapshot installed from the leader');
        return;
    }
  };
}
