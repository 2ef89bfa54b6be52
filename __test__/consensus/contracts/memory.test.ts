import { MemoryStateMachine, encodeKvCommand, type KvResult } from '../../../cluster/state-machine/memory.js';
import { MemoryHardStateStore, MemoryLogStore, MemorySnapshotStore } from '../../../cluster/storage/memory.js';
import { MemoryNetwork } from '../../../cluster/transport/memory.js';
import { hardStateStoreContract, logStoreContract, snapshotStoreContract } from './stores.js';
import { stateMachineContract, transportContract } from './seams.js';

// A memory store's "restart" keeps the object: that is the durability it offers.
logStoreContract('memory', { open: () => new MemoryLogStore(), reopen: (s) => s });
hardStateStoreContract('memory', { open: () => new MemoryHardStateStore(), reopen: (s) => s });
snapshotStoreContract('memory', { open: () => new MemorySnapshotStore(), reopen: (s) => s });

transportContract('memory', async () => {
  const net = new MemoryNetwork();
  return { a: net.connect('n1'), b: net.connect('n2'), ids: ['n1', 'n2'], flush: () => new Promise((resolve) => setImmediate(resolve)) };
});

stateMachineContract<KvResult>('memory', {
  create: () => new MemoryStateMachine(),
  command: (n) => encodeKvCommand({ clientId: `c${n % 3}`, seq: n, key: `k${n % 5}`, value: `v${n}` }),
  digest: async (sm) => (sm as MemoryStateMachine).digest(),
});
