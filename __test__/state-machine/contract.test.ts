import { encodeCommand } from '../../cluster/commands/codec.js';
import { encodeKvCommand, MemoryStateMachine } from '../../cluster/state-machine/memory.js';
import { stateMachineContract } from './contract.js';
import { openEngineSm } from './workload.js';

stateMachineContract('memory state machine', {
  open: async () => {
    const sm = new MemoryStateMachine();
    return { sm, digest: async () => sm.digest() };
  },
  setup: [],
  write: (clientId, seq, n) => encodeKvCommand({ clientId, seq, key: `k${n}`, value: `v${n}` }),
  undo: (clientId, seq, n) => encodeKvCommand({ clientId, seq, key: `k${n}`, value: '' }),
});

stateMachineContract('engine state machine', {
  open: async (t) => {
    const sm = await openEngineSm(t);
    return { sm, digest: () => sm.digest() };
  },
  setup: [encodeCommand({ type: 'createCollection', clientId: 'setup', seq: 1, collection: { name: 'kv', dimension: 2, distance: 'l2', payloadSchema: 'CREATE TABLE kv (rowid INTEGER PRIMARY KEY, value TEXT)' } })],
  write: (clientId, seq, n) =>
    encodeCommand({ type: 'insert', clientId, seq, collection: 'kv', point: { id: n, vector: new Float32Array([n, 1]), payloadInsertQuery: `INSERT INTO kv (value) VALUES ('v${n}')` } }),
  undo: (clientId, seq, n) => encodeCommand({ type: 'delete', clientId, seq, collection: 'kv', id: n }),
});
