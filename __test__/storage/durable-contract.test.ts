import { openDurableStores, type DurableStores } from '../../cluster/storage/durable.js';
import { tempDir } from '../helpers/temp-dir.js';
import { storageContract } from './contract.js';

// A restart closes the stores and opens new ones on the same directory.
storageContract('durable stores', async (t) => {
  const dir = await tempDir(t, 'vxl-raft-store-');
  let current: DurableStores | undefined;
  t.teardown(() => current?.close());
  return {
    open() {
      current?.close();
      current = openDurableStores(dir);
      return current;
    },
  };
});
