/**
 * WAL checkpoints happen on the checkpoint thread: with the connection's own automatic
 * checkpoint off, the database file grows only if that thread copied the WAL into it.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { CHECKPOINT_EVERY } from '../../src/store/sqlite-checkpoint.ts';
import { tempDir } from '../helpers/app.ts';
import { until } from '../helpers/wait.ts';

it(`every ${CHECKPOINT_EVERY} writes, the checkpoint thread copies the WAL into the database file`, async () => {
  const path = join(tempDir(), 'kimaging.sqlite');
  const store = openSqliteStore(path);
  const size = () => statSync(path).size;
  const before = size();
  const record = (i: number) =>
    store.usage.record({ id: `u${i}`, at: new Date(), day: '2026-12-07', tenant: 't', route: 'generate', model: 'm', images: 1, megapixels: 1, cached: false, cost: 0, status: 'ok', latencyMs: 1 });
  for (let i = 0; i < CHECKPOINT_EVERY - 1; i++) await record(i);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(size(), before, 'no checkpoint before the threshold: the connection does not checkpoint itself');
  for (let i = CHECKPOINT_EVERY - 1; i < 4 * CHECKPOINT_EVERY; i++) await record(i);
  await until(() => size() > before, 10_000);
  await store.close();
  // Reopened, every row is there.
  const again = openSqliteStore(path);
  const rows = await again.usage.list({ from: new Date(0), to: new Date(Date.now() + 1000) });
  assert.equal(rows.length, 4 * CHECKPOINT_EVERY);
  await again.close();
});
