import { MemoryHardStateStore, MemoryLogStore, MemorySnapshotStore } from '../../cluster/storage/memory.js';
import { storageContract } from './contract.js';

// The memory stores keep their contents for as long as the objects live, so a restart hands
// back the same objects: exactly how the simulator's disk survives a simulated crash.
storageContract('memory stores', async () => {
  const stores = { log: new MemoryLogStore(), hardState: new MemoryHardStateStore(), snapshots: new MemorySnapshotStore() };
  return { open: () => stores };
});
