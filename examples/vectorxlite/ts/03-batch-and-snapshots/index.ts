/**
 * Atomic batch inserts, and moving a database between servers with a snapshot file.
 * Run: npx tsx examples/vectorxlite/ts/03-batch-and-snapshots/index.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorXLiteClient, VectorXLiteError } from '../../../../src/client/index.js';
import { exampleServer } from '../shared/local-server.js';

const source = await exampleServer();
const target = await exampleServer();
const a = new VectorXLiteClient(source.address);
const b = new VectorXLiteClient(target.address);
const dir = await mkdtemp(join(tmpdir(), 'vxl-example-'));
try {
  await a.createCollection({ name: 'embeddings', dimension: 8 });
  const points = Array.from({ length: 1000 }, (_, id) => ({
    id,
    vector: Float32Array.from({ length: 8 }, (_, i) => Math.sin(id * 0.1 + i)),
  }));
  await a.insertBatch('embeddings', points);
  console.log('after batch:', (await a.collectionInfo('embeddings')).count);

  try {
    await a.insertBatch('embeddings', [{ id: 5000, vector: points[0].vector }, { id: 1, vector: points[1].vector }]);
  } catch (err) {
    if (!(err instanceof VectorXLiteError)) throw err;
    console.log(`batch rejected (${err.code}); nothing from it was kept:`, (await a.collectionInfo('embeddings')).count);
  }

  const file = join(dir, 'embeddings.vxlsnap');
  const metadata = await a.exportSnapshotToFile(file);
  console.log(`exported snapshot ${metadata.snapshotId}: ${metadata.totalSize} bytes in ${metadata.files.length} file(s)`);
  const restored = await b.importSnapshotFromFile(file);
  console.log(`imported into the second server: ${restored.bytesRestored} bytes`);

  const query = { collection: 'embeddings', vector: points[42].vector, topK: 3 };
  const fromA = (await a.search(query)).map((r) => r.id);
  const fromB = (await b.search(query)).map((r) => r.id);
  console.log('same results on both servers:', JSON.stringify(fromA) === JSON.stringify(fromB), fromB);
} finally {
  await Promise.all([a.close(), b.close()]);
  await Promise.all([source.stop(), target.stop()]);
  await rm(dir, { recursive: true, force: true });
}
