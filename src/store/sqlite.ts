/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode under the data dir. Every
 * write is its own transaction and is on disk in the WAL when the call returns, so a daemon
 * killed with SIGKILL loses nothing it has answered for (synchronous=NORMAL is durable across a
 * process crash; only a power loss could drop the last commits). Checkpoints run on a thread of
 * their own (sqlite-checkpoint.ts), not inside a request's commit.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { walCheckpointer, type Checkpointer } from './sqlite-checkpoint.ts';
import type {
  CounterCharge,
  KeyRecord,
  KeyStore,
  QuotaStore,
  RateLimitStore,
  Store,
  UsageLedger,
  UsageQuery,
  UsageRecord,
  UsageRow,
} from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS quota_counters (
  tenant TEXT NOT NULL,
  metric TEXT NOT NULL,
  window TEXT NOT NULL,
  used REAL NOT NULL,
  PRIMARY KEY (tenant, metric, window)
);
CREATE TABLE IF NOT EXISTS quota_settlements (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_windows (
  key TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  used REAL NOT NULL,
  PRIMARY KEY (key, window_start)
);
CREATE TABLE IF NOT EXISTS usage (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  day TEXT NOT NULL,
  tenant TEXT NOT NULL,
  key_id TEXT,
  request_id TEXT,
  route TEXT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT,
  images INTEGER NOT NULL,
  megapixels REAL NOT NULL,
  cached INTEGER NOT NULL,
  cost REAL NOT NULL,
  status TEXT NOT NULL,
  latency_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_tenant_at ON usage (tenant, at);
CREATE INDEX IF NOT EXISTS usage_at ON usage (at);
`;

/** Floating-point slack so that, e.g., ten reservations of 0.1 fit a limit of 1. */
const EPSILON = 1e-9;

export function openSqliteStore(path: string): Store {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // The CLI (`kimaging keys`) may write while the daemon runs; wait for the lock rather than fail.
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const wal = walCheckpointer(db, path);
  const insertUsage = usageInserter(db);
  return {
    keys: keyStore(db, wal),
    quotas: quotaStore(db, wal, insertUsage),
    rateLimits: rateLimitStore(db, wal),
    usage: usageLedger(db, wal, insertUsage),
    async health() {
      return { type: 'sqlite' as const, ok: db.open };
    },
    async close() {
      await wal.close();
      if (db.open) db.close();
    },
  };
}

interface KeyRow {
  id: string;
  tenant: string;
  name: string | null;
  prefix: string;
  hash: string;
  created_at: number;
  revoked_at: number | null;
}

function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    ...(row.name !== null && { name: row.name }),
    prefix: row.prefix,
    createdAt: new Date(row.created_at),
    ...(row.revoked_at !== null && { revokedAt: new Date(row.revoked_at) }),
  };
}

function keyStore(db: Database.Database, wal: Checkpointer): KeyStore {
  const insert = db.prepare('INSERT INTO api_keys (id, tenant, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const byHash = db.prepare('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL');
  const all = db.prepare('SELECT * FROM api_keys ORDER BY created_at, id');
  const ofTenant = db.prepare('SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at, id');
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  return {
    async create(key) {
      const createdAt = Date.now();
      insert.run(key.id, key.tenant, key.name ?? null, key.prefix, key.hash, createdAt);
      wal.wrote();
      return toKeyRecord({ ...key, name: key.name ?? null, created_at: createdAt, revoked_at: null });
    },
    async findByHash(hash) {
      const row = byHash.get(hash) as KeyRow | undefined;
      return row && { ...toKeyRecord(row), hash: row.hash };
    },
    async list(tenant) {
      const rows = (tenant === undefined ? all.all() : ofTenant.all(tenant)) as KeyRow[];
      return rows.map(toKeyRecord);
    },
    async revoke(id) {
      const revoked = revoke.run(Date.now(), id).changes > 0;
      wal.wrote();
      return revoked;
    },
  };
}

function quotaStore(db: Database.Database, wal: Checkpointer, insertUsage: (r: UsageRecord) => void): QuotaStore {
  const read = db.prepare('SELECT used FROM quota_counters WHERE tenant = ? AND metric = ? AND window = ?');
  const add = db.prepare(
    `INSERT INTO quota_counters (tenant, metric, window, used) VALUES (?, ?, ?, ?)
     ON CONFLICT (tenant, metric, window) DO UPDATE SET used = MAX(0, used + excluded.used)`,
  );
  const usedOf = (tenant: string, metric: string, window: string) => (read.get(tenant, metric, window) as { used: number } | undefined)?.used ?? 0;
  // IMMEDIATE takes the write lock before reading, so check-then-add cannot interleave, even
  // with another process on the same file.
  const reserve = db.transaction((tenant: string, charges: CounterCharge[]) => {
    for (const charge of charges) {
      if (charge.limit === undefined) continue;
      const used = usedOf(tenant, charge.metric, charge.window);
      if (used + charge.amount > charge.limit + EPSILON) return { ok: false as const, metric: charge.metric, used, limit: charge.limit };
    }
    for (const charge of charges) add.run(tenant, charge.metric, charge.window, charge.amount);
    return { ok: true as const };
  });
  const settled = db.prepare('INSERT INTO quota_settlements (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const adjust = db.transaction((tenant: string, charges: Omit<CounterCharge, 'limit'>[], settlementId?: string, record?: UsageRecord) => {
    if (record) insertUsage(record);
    // A settlement applied once: a retried commit or refund of the same reservation is a no-op.
    if (settlementId !== undefined && settled.run(settlementId, Date.now()).changes === 0) return;
    for (const charge of charges) if (charge.amount !== 0) add.run(tenant, charge.metric, charge.window, charge.amount);
  });
  return {
    async reserve(tenant, charges) {
      const outcome = reserve.immediate(tenant, charges);
      wal.wrote();
      return outcome;
    },
    async adjust(tenant, charges, settlementId, record) {
      adjust.immediate(tenant, charges, settlementId, record);
      wal.wrote();
    },
    async used(tenant, metric, window) {
      return usedOf(tenant, metric, window);
    },
  };
}

function rateLimitStore(db: Database.Database, wal: Checkpointer): RateLimitStore {
  const read = db.prepare('SELECT used FROM rate_windows WHERE key = ? AND window_start = ?');
  const add = db.prepare(
    `INSERT INTO rate_windows (key, window_start, used) VALUES (?, ?, ?)
     ON CONFLICT (key, window_start) DO UPDATE SET used = used + excluded.used`,
  );
  const prune = db.prepare('DELETE FROM rate_windows WHERE window_start < ?');
  let takes = 0;
  const take = db.transaction((key: string, amount: number, limit: number, windowSeconds: number, nowMs: number) => {
    const windowMs = windowSeconds * 1000;
    const start = Math.floor(nowMs / windowMs) * windowMs;
    const used = (read.get(key, start) as { used: number } | undefined)?.used ?? 0;
    if (used + amount > limit + EPSILON) return { ok: false as const, retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - nowMs) / 1000)) };
    add.run(key, start, amount);
    // Old windows are never read again; sweep them now and then rather than on every call.
    if (++takes % 500 === 0) prune.run(start - windowMs);
    return { ok: true as const };
  });
  return {
    async take(key, amount, limit, windowSeconds, now = new Date()) {
      const outcome = take.immediate(key, amount, limit, windowSeconds, now.getTime());
      wal.wrote();
      return outcome;
    },
  };
}

interface UsageDbRow {
  id: string;
  at: number;
  day: string;
  tenant: string;
  key_id: string | null;
  request_id: string | null;
  route: string;
  model: string;
  provider: string | null;
  images: number;
  megapixels: number;
  cached: number;
  cost: number;
  status: string;
  latency_ms: number;
}

const GROUP_COLUMN: Record<UsageQuery['groupBy'], string> = { day: 'day', model: 'model' };

/** One ledger row, written by the ledger alone or inside a settlement's transaction. */
function usageInserter(db: Database.Database): (r: UsageRecord) => void {
  const insert = db.prepare(
    `INSERT INTO usage (id, at, day, tenant, key_id, request_id, route, model, provider, images, megapixels, cached, cost, status, latency_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (r) => {
    insert.run(
      r.id, r.at.getTime(), r.day, r.tenant, r.keyId ?? null, r.requestId ?? null, r.route, r.model, r.provider ?? null,
      r.images, r.megapixels, r.cached ? 1 : 0, r.cost, r.status, Math.round(r.latencyMs),
    );
  };
}

function usageLedger(db: Database.Database, wal: Checkpointer, insertUsage: (r: UsageRecord) => void): UsageLedger {
  const where = (query: { tenant?: string }) => `at >= @from AND at < @to${query.tenant === undefined ? '' : ' AND tenant = @tenant'}`;
  const params = (query: Omit<UsageQuery, 'groupBy'>) => ({
    from: query.from.getTime(),
    to: query.to.getTime(),
    ...(query.tenant !== undefined && { tenant: query.tenant }),
  });
  return {
    async record(r) {
      insertUsage(r);
      wal.wrote();
    },
    async summarize(query) {
      const column = GROUP_COLUMN[query.groupBy];
      const rows = db
        .prepare(
          `SELECT tenant, ${column} AS key, COUNT(*) AS requests, SUM(images) AS images, SUM(megapixels) AS megapixels,
                  SUM(cost) AS cost, SUM(CASE WHEN cached = 1 THEN images ELSE 0 END) AS cachedImages,
                  SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END) AS failed
           FROM usage WHERE ${where(query)} GROUP BY tenant, ${column} ORDER BY tenant, ${column}`,
        )
        .all(params(query)) as UsageRow[];
      return rows;
    },
    async list(query) {
      const rows = db.prepare(`SELECT * FROM usage WHERE ${where(query)} ORDER BY at, id`).all(params(query)) as UsageDbRow[];
      return rows.map((row) => ({
        id: row.id,
        at: new Date(row.at),
        day: row.day,
        tenant: row.tenant,
        ...(row.key_id !== null && { keyId: row.key_id }),
        ...(row.request_id !== null && { requestId: row.request_id }),
        route: row.route,
        model: row.model,
        ...(row.provider !== null && { provider: row.provider }),
        images: row.images,
        megapixels: row.megapixels,
        cached: row.cached === 1,
        cost: row.cost,
        status: row.status,
        latencyMs: row.latency_ms,
      }));
    },
  };
}
