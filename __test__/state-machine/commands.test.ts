import test from 'ava';
import { decodeCommand, encodeCommand } from '../../cluster/commands/codec.js';
import type { Command } from '../../cluster/commands/types.js';
import { VectorXLiteError } from '../../src/errors.js';

const COMMANDS: Command[] = [
  { type: 'createCollection', clientId: 'c1', seq: 1, collection: { name: 'docs', dimension: 3, distance: 'cosine' } },
  {
    type: 'createCollection',
    clientId: 'клиент-✓',
    seq: Number.MAX_SAFE_INTEGER,
    collection: { name: 'full', dimension: 4096, distance: 'ip', payloadSchema: 'CREATE TABLE full (rowid INTEGER PRIMARY KEY, t TEXT)', maxElements: 10, hnsw: { m: 16, efConstruction: 200 } },
  },
  { type: 'createCollection', clientId: 'c1', seq: 2, collection: { name: 'partial', dimension: 2, distance: 'l2', hnsw: { efConstruction: 5 } } },
  { type: 'insert', clientId: 'c1', seq: 3, collection: 'docs', point: { id: -7, vector: new Float32Array([1.5, -0, 3e-38]) } },
  { type: 'insert', clientId: 'c1', seq: 4, collection: 'docs', point: { id: Number.MAX_SAFE_INTEGER, vector: new Float32Array([1, 2, 3]), payloadInsertQuery: '' } },
  { type: 'insert', clientId: 'c1', seq: 5, collection: 'docs', point: { id: 1, vector: new Float32Array([1, 2, 3]), payloadInsertQuery: "INSERT INTO docs (t) VALUES ('é')" } },
  { type: 'insertBatch', clientId: 'c2', seq: 1, collection: 'docs', points: [] },
  {
    type: 'insertBatch',
    clientId: 'c2',
    seq: 2,
    collection: 'docs',
    points: [
      { id: 1, vector: new Float32Array([0.25, 0.5, 0.75]) },
      { id: Number.MIN_SAFE_INTEGER, vector: new Float32Array([9, 8, 7]), payloadInsertQuery: 'INSERT INTO docs DEFAULT VALUES' },
    ],
  },
  { type: 'delete', clientId: 'c3', seq: 9, collection: 'docs', id: 42 },
  { type: 'deleteCollection', clientId: 'c3', seq: 10, collection: 'docs' },
];

test('every command type survives encode and decode unchanged', (t) => {
  for (const command of COMMANDS) t.deepEqual(decodeCommand(encodeCommand(command)), command, command.type);
});

test('the encoding is deterministic: equal commands give equal bytes', (t) => {
  for (const command of COMMANDS) {
    const copy = structuredClone(command);
    t.deepEqual(encodeCommand(copy), encodeCommand(command));
  }
});

test('the byte layout is the documented one, vectors as raw little-endian float32', (t) => {
  const bytes = encodeCommand({ type: 'insert', clientId: 'c', seq: 1, collection: 'd', point: { id: 5, vector: new Float32Array([1, -2]) } });
  t.deepEqual(
    Array.from(bytes),
    [
      0x56, 0x58, 0x43, 1, 2, // "VXC", version 1, insert
      1, 0, 0, 0, 0x63, // clientId "c"
      1, 0, 0, 0, 0, 0, 0, 0, // seq 1
      1, 0, 0, 0, 0x64, // collection "d"
      5, 0, 0, 0, 0, 0, 0, 0, // id 5
      2, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, // two components: 1.0, -2.0
      0, // no payload insert query
    ],
  );
});

function rejects(t: import('ava').ExecutionContext, data: Uint8Array, pattern: RegExp, label: string): void {
  const error = t.throws(() => decodeCommand(data), { instanceOf: VectorXLiteError }, label);
  if (error) {
    t.is((error as VectorXLiteError).code, 'INVALID_ARGUMENT', label);
    t.regex(error.message, pattern, label);
  }
}

test('every truncation of a valid command is rejected', (t) => {
  for (const command of COMMANDS) {
    const bytes = encodeCommand(command);
    for (let length = 0; length < bytes.length; length++) {
      t.throws(() => decodeCommand(bytes.subarray(0, length)), { instanceOf: VectorXLiteError, code: 'INVALID_ARGUMENT' }, `${command.type} cut to ${length} bytes`);
    }
  }
});

test('malformed bytes are rejected with a message naming the problem', (t) => {
  const insert = encodeCommand(COMMANDS[5]);
  const create = encodeCommand(COMMANDS[1]);
  const edit = (bytes: Uint8Array, at: number, value: number) => {
    const copy = bytes.slice();
    copy[at] = value;
    return copy;
  };
  rejects(t, new TextEncoder().encode('{"type":"insert"}'), /magic/, 'JSON');
  rejects(t, edit(insert, 3, 2), /version 2/, 'future version');
  rejects(t, edit(insert, 4, 9), /type code 9/, 'unknown type');
  rejects(t, Uint8Array.from([...insert, 0]), /1 unexpected bytes/, 'trailing byte');
  rejects(t, Uint8Array.from([0x56, 0x58, 0x43, 1, 5, 1, 0, 0, 0, 0xff]), /clientId is not valid UTF-8/, 'bad UTF-8');
  // create: header 5, clientId 4+15, seq 8, name 4+4, dimension 4 → distance at 44, flags at 45.
  const nameEnd = 5 + 4 + new TextEncoder().encode('клиент-✓').length + 8 + 4 + 4;
  rejects(t, edit(create, nameEnd + 4, 3), /distance code 3/, 'unknown distance');
  rejects(t, edit(create, nameEnd + 5, 0x1f), /unknown bits/, 'unknown option bits');
  rejects(t, edit(insert, insert.length - 4 - Buffer.byteLength("INSERT INTO docs (t) VALUES ('é')") - 1, 2), /presence flag must be 0 or 1/, 'bad presence flag');

  const batch = encodeCommand(COMMANDS[6]);
  const huge = batch.slice();
  new DataView(huge.buffer).setUint32(huge.length - 4, 0xffffffff, true);
  rejects(t, huge, /points count 4294967295/, 'batch count larger than the bytes');

  const vector = encodeCommand({ type: 'insert', clientId: 'c', seq: 1, collection: 'd', point: { id: 5, vector: new Float32Array([1]) } });
  new DataView(vector.buffer).setUint32(31, 1 << 30, true);
  rejects(t, vector, /claims 1073741824 components/, 'vector longer than the bytes');

  const bigId = encodeCommand({ type: 'delete', clientId: 'c', seq: 1, collection: 'd', id: 1 });
  new DataView(bigId.buffer).setBigInt64(bigId.length - 8, 2n ** 60n, true);
  rejects(t, bigId, /outside the safe integer range/, 'id beyond 2^53');
});

test('encode refuses values the format cannot carry', (t) => {
  const cases: Array<[string, Command]> = [
    ['unsafe id', { type: 'delete', clientId: 'c', seq: 1, collection: 'd', id: 2 ** 60 }],
    ['fractional seq', { type: 'delete', clientId: 'c', seq: 1.5, collection: 'd', id: 1 }],
    ['negative dimension', { type: 'createCollection', clientId: 'c', seq: 1, collection: { name: 'd', dimension: -1, distance: 'l2' } }],
    ['unknown distance', { type: 'createCollection', clientId: 'c', seq: 1, collection: { name: 'd', dimension: 1, distance: 'hamming' as 'l2' } }],
    ['long clientId', { type: 'deleteCollection', clientId: 'x'.repeat(257), seq: 1, collection: 'd' }],
    ['number[] vector', { type: 'insert', clientId: 'c', seq: 1, collection: 'd', point: { id: 1, vector: [1, 2] as unknown as Float32Array } }],
    ['unknown type', { type: 'upsert', clientId: 'c', seq: 1, collection: 'd' } as unknown as Command],
  ];
  for (const [label, command] of cases) {
    t.throws(() => encodeCommand(command), { instanceOf: VectorXLiteError, code: 'INVALID_ARGUMENT' }, label);
  }
});
