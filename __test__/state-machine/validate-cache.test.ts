import test from 'ava';
import { LogBuilder, openEngineSm, vectorFor } from './workload.js';

test('the leader validates against what is applied: collections created, deleted, re-created with another dimension, or replaced by a snapshot', async (t) => {
  const sm = await openEngineSm(t);
  const log = new LogBuilder();
  const insert = (dimension: number) => ({ type: 'insert' as const, clientId: 'v', seq: 1, collection: 'docs', point: { id: 1, vector: vectorFor(1, dimension) } });
  const create = (dimension: number) => log.command('admin', { type: 'createCollection', collection: { name: 'docs', dimension, distance: 'l2' } });
  await t.throwsAsync(sm.validate(insert(4)), { code: 'NOT_FOUND' });
  await sm.apply(create(4));
  await sm.validate(insert(4));
  await t.throwsAsync(sm.validate(insert(3)), { code: 'DIMENSION_MISMATCH' });
  const empty = await sm.snapshot();
  await sm.apply(log.command('admin', { type: 'deleteCollection', collection: 'docs' }));
  await t.throwsAsync(sm.validate(insert(4)), { code: 'NOT_FOUND' });
  await sm.apply(create(3));
  await sm.validate(insert(3));
  await t.throwsAsync(sm.validate(insert(4)), { code: 'DIMENSION_MISMATCH' });
  await sm.restore({ meta: { index: 1, term: 1, membership: { members: [] } }, data: empty });
  await sm.validate(insert(4));
  await t.throwsAsync(sm.validate(insert(3)), { code: 'DIMENSION_MISMATCH' });
});
