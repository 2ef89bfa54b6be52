import { MemoryNetwork } from '../../cluster/transport/memory.js';
import { transportContract } from './contract.js';

transportContract(
  'MemoryTransport',
  async (_t, count) => {
    const network = new MemoryNetwork();
    const members = Array.from({ length: count }, (_, i) => ({ id: `n${i}`, voter: true, raftAddr: `memory:n${i}`, clusterAddr: '' }));
    return {
      transports: members.map((m) => network.connect(m.id)),
      members,
      unreachable: { id: 'down', voter: true, raftAddr: 'memory:down', clusterAddr: '' },
    };
  },
);
