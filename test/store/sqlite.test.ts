import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from '../helpers/app.ts';

const open = () => openSqliteStore(join(tempDir(), 'store.sqlite'));

describe('sqlite store', () => {
  it('keeps keys by hash, lists them and revokes them', async () => {
    const store = open();
    await store.keys.create({ id: 'k1', tenant: 'acme', name: 'ci', prefix: 'kim_abc', hash: 'aa' });
    await store.keys.create({ id: 'k2', tenant: 'other', prefix: 'kim_def', hash: 'bb' });
    assert.equal((await store.keys.findByHash('aa'))?.tenant, 'acme');
    assert.deepEqual((await store.keys.list('acme')).map((k) => k.id), ['k1']);
    assert.equal((await store.keys.list()).length, 2);
    assert.equal(await store.keys.revoke('k1'), true);
    assert.equal(await store.keys.revoke('k1'), false, 'a revoked key is not revoked twice');
    assert.equal(await store.keys.findByHash('aa'), undefined);
    assert.ok((await store.keys.list('acme'))[0]!.revokedAt);
    await store.close();
  });

  it('reserves all charges or none, and never past a limit', async () => {
    const store = open();
    const charge = (images: number) => [
      { metric: 'images', window: 'd1', amount: images, limit: 5 },
      { metric: 'megapixels', window: 'd1', amount: images * 0.25, limit: 1 },
    ];
    assert.deepEqual(await store.quotas.reserve('t', charge(3)), { ok: true });
    const refused = await store.quotas.reserve('t', charge(2));
    assert.equal(refused.ok, false, 'megapixels would pass 1');
    assert.equal(await store.quotas.used('t', 'images', 'd1'), 3, 'the images charge was not applied either');
    assert.deepEqual(await store.quotas.reserve('t', charge(1)), { ok: true });
    await store.quotas.adjust('t', [{ metric: 'images', window: 'd1', amount: -4 }, { metric: 'megapixels', window: 'd1', amount: -1 }]);
    assert.equal(await store.quotas.used('t', 'images', 'd1'), 0);
    assert.equal(await store.quotas.used('t', 'images', 'd2'), 0, 'another window is another counter');
    await store.close();
  });

  it('counts a fixed rate window and says when it ends', async () => {
    const store = open();
    const at = new Date('2026-11-22T10:00:45Z');
    assert.deepEqual(await store.rateLimits.take('t', 2, 3, 60, at), { ok: true });
    assert.deepEqual(await store.rateLimits.take('t', 2, 3, 60, at), { ok: false, retryAfterSeconds: 15 });
    assert.deepEqual(await store.rateLimits.take('t', 2, 3, 60, new Date('2026-11-22T10:01:00Z')), { ok: true });
    await store.close();
  });

  it('sums the ledger by day and by model, per tenant, within [from, to)', async () => {
    const path = join(tempDir(), 'ledger.sqlite');
    const store = openSqliteStore(path);
    const base = { route: 'generate', provider: 'stub', cached: false, cost: 0.01, latencyMs: 5 };
    const rows = [
      { tenant: 'a', at: '2026-11-20T10:00:00Z', day: '2026-11-20', model: 'm1', images: 2, megapixels: 0.5, status: 'ok' },
      { tenant: 'a', at: '2026-11-21T10:00:00Z', day: '2026-11-21', model: 'm2', images: 1, megapixels: 0.25, status: 'ok' },
      { tenant: 'a', at: '2026-11-21T11:00:00Z', day: '2026-11-21', model: 'm2', images: 0, megapixels: 0, status: 'provider_error' },
      { tenant: 'b', at: '2026-11-21T12:00:00Z', day: '2026-11-21', model: 'm1', images: 4, megapixels: 1, status: 'ok' },
      { tenant: 'a', at: '2026-11-25T10:00:00Z', day: '2026-11-25', model: 'm1', images: 9, megapixels: 9, status: 'ok' },
    ];
    for (const [i, r] of rows.entries()) await store.usage.record({ ...base, ...r, id: `r${i}`, at: new Date(r.at) });
    await store.close();
    // Reopened: what was recorded is on disk.
    const again = openSqliteStore(path);
    const window = { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-22T00:00:00Z') };
    const byDay = await again.usage.summarize({ ...window, tenant: 'a', groupBy: 'day' });
    assert.deepEqual(byDay.map((r) => [r.key, r.requests, r.images, r.failed]), [['2026-11-20', 1, 2, 0], ['2026-11-21', 2, 1, 1]]);
    const byModel = await again.usage.summarize({ ...window, groupBy: 'model' });
    assert.deepEqual(byModel.map((r) => [r.tenant, r.key, r.images]), [['a', 'm1', 2], ['a', 'm2', 1], ['b', 'm1', 4]]);
    await again.close();
  });
});
