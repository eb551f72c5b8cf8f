/**
 * The store contract: what every Store must do, whatever keeps it. contract.test.ts runs it on
 * the embedded SQLite file and on PostgreSQL. A backing is one place the data lives (a file, a
 * schema); `open` may be called several times on it, like replicas (or the CLI beside the daemon).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/index.ts';

export interface Backing {
  open(): Promise<Store>;
  /** Removes what the backing holds (a schema, a folder). */
  cleanup(): Promise<void>;
}

export function storeContract(name: 'sqlite' | 'postgres', makeBacking: () => Backing, skip?: string): void {
  describe(`store contract: ${name}`, { skip }, () => {
    /** A fresh backing for one test; every store opened on it is closed and the backing removed. */
    async function withBacking(body: (open: () => Promise<Store>, close: (store: Store) => Promise<void>) => Promise<void>) {
      const backing = makeBacking();
      const stores = new Set<Store>();
      const open = async () => {
        const store = await backing.open();
        stores.add(store);
        return store;
      };
      const close = async (store: Store) => {
        stores.delete(store);
        await store.close();
      };
      try {
        await body(open, close);
      } finally {
        for (const store of stores) await store.close();
        await backing.cleanup();
      }
    }

    it('keeps keys by hash, lists them per tenant and revokes them', () =>
      withBacking(async (open) => {
        const store = await open();
        await store.keys.create({ id: 'k1', tenant: 'acme', name: 'ci', prefix: 'kim_abc', hash: 'aa' });
        await store.keys.create({ id: 'k2', tenant: 'other', prefix: 'kim_def', hash: 'bb' });
        assert.equal((await store.keys.findByHash('aa'))?.tenant, 'acme');
        assert.equal((await store.keys.findByHash('aa'))?.name, 'ci');
        assert.equal((await store.keys.findByHash('bb'))?.name, undefined, 'no name stays absent');
        assert.deepEqual((await store.keys.list('acme')).map((k) => k.id), ['k1'], "one tenant never sees another one's keys");
        assert.equal((await store.keys.list()).length, 2);
        assert.equal(await store.keys.revoke('k1'), true);
        assert.equal(await store.keys.revoke('k1'), false, 'a revoked key is not revoked twice');
        assert.equal(await store.keys.findByHash('aa'), undefined);
        assert.ok((await store.keys.list('acme'))[0]!.revokedAt instanceof Date);
        await assert.rejects(store.keys.create({ id: 'k3', tenant: 'acme', prefix: 'kim_x', hash: 'bb' }), 'a hash is unique');
      }));

    it('reserves all charges or none, and never past a limit', () =>
      withBacking(async (open) => {
        const store = await open();
        const charge = (images: number) => [
          { metric: 'images', window: 'd1', amount: images, limit: 5 },
          { metric: 'megapixels', window: 'd1', amount: images * 0.25, limit: 1 },
        ];
        assert.deepEqual(await store.quotas.reserve('t', charge(3)), { ok: true });
        assert.deepEqual(await store.quotas.reserve('t', charge(2)), { ok: false, metric: 'megapixels', used: 0.75, limit: 1 });
        assert.equal(await store.quotas.used('t', 'images', 'd1'), 3, 'the images charge was not applied either');
        assert.deepEqual(await store.quotas.reserve('t', charge(1)), { ok: true });
        await store.quotas.adjust('t', [{ metric: 'images', window: 'd1', amount: -4 }, { metric: 'megapixels', window: 'd1', amount: -1 }]);
        assert.equal(await store.quotas.used('t', 'images', 'd1'), 0);
        assert.equal(await store.quotas.used('t', 'images', 'd2'), 0, 'another window is another counter');
        assert.equal(await store.quotas.used('u', 'images', 'd1'), 0, 'another tenant is another counter');
        await store.quotas.adjust('t', [{ metric: 'images', window: 'd1', amount: -5 }]);
        assert.equal(await store.quotas.used('t', 'images', 'd1'), 0, 'a refund never takes a counter below zero');
        const tenths = Array.from({ length: 10 }, () => store.quotas.reserve('t', [{ metric: 'cost', window: 'd1', amount: 0.1, limit: 1 }]));
        assert.ok((await Promise.all(tenths)).every((o) => o.ok), 'ten reservations of 0.1 fit a limit of 1');
      }));

    it('admits exactly the limit when many reserve at once from several openers', () =>
      withBacking(async (open) => {
        const stores = [await open(), await open(), await open()];
        const attempts = Array.from({ length: 60 }, (_, i) => stores[i % 3]!.quotas.reserve('t', [{ metric: 'images', window: 'd1', amount: 1, limit: 10 }]));
        const outcomes = await Promise.all(attempts);
        assert.equal(outcomes.filter((o) => o.ok).length, 10);
        assert.equal(await stores[0]!.quotas.used('t', 'images', 'd1'), 10);
      }));

    it('settles a reservation once: a retried commit or refund changes nothing', () =>
      withBacking(async (open) => {
        const [a, b] = [await open(), await open()];
        assert.deepEqual(await a.quotas.reserve('t', [{ metric: 'images', window: 'd1', amount: 4, limit: 10 }]), { ok: true });
        const refund = [{ metric: 'images', window: 'd1', amount: -3 }];
        await Promise.all([a.quotas.adjust('t', refund, 'res-1'), b.quotas.adjust('t', refund, 'res-1')]);
        await a.quotas.adjust('t', refund, 'res-1');
        assert.equal(await a.quotas.used('t', 'images', 'd1'), 1, 'settled once although applied three times, on two openers');
        await a.quotas.adjust('t', refund, 'res-2');
        assert.equal(await a.quotas.used('t', 'images', 'd1'), 0, 'another reservation settles on its own');
      }));

    it('settles and bills in one call: the record is written with the settlement, and again with a repeated one', () =>
      withBacking(async (open) => {
        const store = await open();
        await store.quotas.reserve('t', [{ metric: 'images', window: 'd1', amount: 4, limit: 10 }]);
        const base = { at: new Date('2026-11-21T10:00:00Z'), day: '2026-11-21', tenant: 't', route: 'generate', model: 'm', cached: false, megapixels: 0, cost: 0, latencyMs: 1 };
        const refund = [{ metric: 'images', window: 'd1', amount: -1 }];
        await store.quotas.adjust('t', refund, 'res-9', { ...base, id: 'u1', images: 3, status: 'ok' });
        await store.quotas.adjust('t', refund, 'res-9', { ...base, id: 'u2', images: 0, status: 'cancelled' });
        assert.equal(await store.quotas.used('t', 'images', 'd1'), 3, 'the counter moved once');
        const listed = await store.usage.list({ from: new Date('2026-11-21T00:00:00Z'), to: new Date('2026-11-22T00:00:00Z'), tenant: 't' });
        assert.deepEqual(listed.map((r) => [r.id, r.images, r.status]), [['u1', 3, 'ok'], ['u2', 0, 'cancelled']]);
      }));

    it('counts a fixed rate window and says when it ends', () =>
      withBacking(async (open) => {
        const store = await open();
        const at = new Date('2026-11-22T10:00:45Z');
        assert.deepEqual(await store.rateLimits.take('t', 2, 3, 60, at), { ok: true });
        assert.deepEqual(await store.rateLimits.take('t', 2, 3, 60, at), { ok: false, retryAfterSeconds: 15 });
        assert.deepEqual(await store.rateLimits.take('u', 2, 3, 60, at), { ok: true }, 'another key, another window');
        assert.deepEqual(await store.rateLimits.take('t', 2, 3, 60, new Date('2026-11-22T10:01:00Z')), { ok: true });
      }));

    it('sums the ledger by day and by model, per tenant, within [from, to), durably', () =>
      withBacking(async (open, close) => {
        const store = await open();
        const base = { route: 'generate', provider: 'stub', cached: false, cost: 0.01, latencyMs: 5 };
        const rows = [
          { tenant: 'a', at: '2026-11-20T10:00:00Z', day: '2026-11-20', model: 'm1', images: 2, megapixels: 0.5, status: 'ok' },
          { tenant: 'a', at: '2026-11-21T10:00:00Z', day: '2026-11-21', model: 'm2', images: 1, megapixels: 0.25, status: 'ok', cached: true },
          { tenant: 'a', at: '2026-11-21T11:00:00Z', day: '2026-11-21', model: 'm2', images: 0, megapixels: 0, status: 'provider_error' },
          { tenant: 'b', at: '2026-11-21T12:00:00Z', day: '2026-11-21', model: 'm1', images: 4, megapixels: 1, status: 'ok' },
          { tenant: 'a', at: '2026-11-25T10:00:00Z', day: '2026-11-25', model: 'm1', images: 9, megapixels: 9, status: 'ok' },
        ];
        const records = rows.map((r, i) => ({ ...base, ...r, id: `r${i}`, keyId: 'k1', requestId: `req${i}`, at: new Date(r.at) }));
        for (const record of records) await store.usage.record(record);
        await close(store);
        // Reopened: what was recorded was durable when record() resolved.
        const again = await open();
        const window = { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-22T00:00:00Z') };
        const byDay = await again.usage.summarize({ ...window, tenant: 'a', groupBy: 'day' });
        assert.deepEqual(byDay.map((r) => [r.key, r.requests, r.images, r.cachedImages, r.failed]), [['2026-11-20', 1, 2, 0, 0], ['2026-11-21', 2, 1, 1, 1]]);
        assert.ok(Math.abs(byDay[1]!.cost - 0.02) < 1e-9);
        assert.equal(byDay[1]!.megapixels, 0.25);
        const byModel = await again.usage.summarize({ ...window, groupBy: 'model' });
        assert.deepEqual(byModel.map((r) => [r.tenant, r.key, r.images]), [['a', 'm1', 2], ['a', 'm2', 1], ['b', 'm1', 4]]);
        assert.deepEqual(await again.usage.list({ ...window, tenant: 'b' }), [records[3]]);
      }));

    it('reports itself healthy', () =>
      withBacking(async (open) => {
        const health = await (await open()).health();
        assert.deepEqual(health, { type: name, ok: true });
      }));
  });
}
