import { transportContract } from './contract.js';
import { deadAddress, grpcTransport } from './grpc-cluster.js';

transportContract('GrpcTransport', async (t, count) => {
  const nodes = await Promise.all(Array.from({ length: count }, (_, i) => grpcTransport(t, { id: `n${i}`, token: 'cluster-secret' })));
  return {
    transports: nodes.map((n) => n.transport),
    members: nodes.map((n) => n.member),
    unreachable: { id: 'down', voter: true, raftAddr: await deadAddress(), clusterAddr: '' },
  };
});
