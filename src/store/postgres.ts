/**
 * The shared store for several replicas: PostgreSQL through `pg`. Same tables as the SQLite
 * store, in the schema the config names. Migrations run under a transaction-scoped advisory lock,
 * so replicas starting at once apply them one after the other. Quota reservations are single
 * conditional UPDATEs (`used + n <= limit`), taken in one transaction with the rows locked in a
 * fixed order, so no interleaving of replicas can pass a limit and none can deadlock.
 *
 * When PostgreSQL cannot be reached every call throws `store_unavailable` (503): budgets fail
 * closed. The connection and the migrations are retried on the next call, so a replica started
 * before its database comes up recovers without a restart.
 */
import pg from 'pg';
import { ImagegenError } from '../imagegen/index.ts';
import type {
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

export interface PostgresStoreOptions {
  url: string;
  /** Tables live here (created if missing); default `public`. */
  schema?: string;
  /** Connections per replica. */
  poolSize?: number;
}

/** Any constant: the advisory lock that serialises migrations across replicas. */
const MIGRATION_LOCK = 0x6b696d67; // "kimg"

/** In order; each runs once per schema, recorded in schema_migrations. */
const MIGRATIONS: string[] = [
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     tenant TEXT NOT NULL,
     name TEXT,
     prefix TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     created_at TIMESTAMPTZ NOT NULL,
     revoked_at TIMESTAMPTZ
   );
   CREATE TABLE quota_counters (
     tenant TEXT NOT NULL,
     metric TEXT NOT NULL,
     "window" TEXT NOT NULL,
     used DOUBLE PRECISION NOT NULL,
     PRIMARY KEY (tenant, metric, "window")
   );
   CREATE TABLE quota_settlements (
     id TEXT PRIMARY KEY,
     at TIMESTAMPTZ NOT NULL DEFAULT now()
   );
   CREATE TABLE rate_windows (
     key TEXT NOT NULL,
     window_start BIGINT NOT NULL,
     used DOUBLE PRECISION NOT NULL,
     PRIMARY KEY (key, window_start)
   );
   CREATE TABLE usage (
     id TEXT PRIMARY KEY,
     at TIMESTAMPTZ NOT NULL,
     day TEXT NOT NULL,
     tenant TEXT NOT NULL,
     key_id TEXT,
     request_id TEXT,
     route TEXT NOT NULL,
     model TEXT NOT NULL,
     provider TEXT,
     images INTEGER NOT NULL,
     megapixels DOUBLE PRECISION NOT NULL,
     cached BOOLEAN NOT NULL,
     cost DOUBLE PRECISION NOT NULL,
     status TEXT NOT NULL,
     latency_ms INTEGER NOT NULL
   );
   CREATE INDEX usage_tenant_at ON usage (tenant, at);
   CREATE INDEX usage_at ON usage (at);`,
  // Async jobs shared by replicas (jobs/postgres-jobs.ts): the owner renews lease_until while it
  // runs the job; past it, any replica fails the job and refunds `reservation`.
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     tenant TEXT NOT NULL,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     view JSONB NOT NULL,
     result JSONB,
     owner TEXT NOT NULL,
     lease_until TIMESTAMPTZ NOT NULL,
     cancel_requested BOOLEAN NOT NULL DEFAULT false,
     reservation JSONB,
     idempotency_key TEXT,
     created_at TIMESTAMPTZ NOT NULL,
     finished_at TIMESTAMPTZ,
     UNIQUE (tenant, idempotency_key)
   );
   CREATE INDEX jobs_unfinished ON jobs (lease_until) WHERE finished_at IS NULL;`,
];

/** Floating-point slack so that, e.g., ten reservations of 0.1 fit a limit of 1 (as in SQLite). */
const EPSILON = 1e-9;

/** Errors that mean "the database is not there", not "the query is wrong". */
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN']);
const isUnreachable = (error: unknown): boolean => {
  const e = error as { code?: string; message?: string };
  if (typeof e?.code === 'string' && (UNREACHABLE_ERRNO.has(e.code) || e.code.startsWith('08') || /^57P0[1-3]$/.test(e.code) || e.code === '53300')) return true;
  return /Connection terminated|timeout exceeded when trying to connect/i.test(e?.message ?? '');
};

export function storeUnavailable(cause: unknown): ImagegenError {
  return new ImagegenError('store_unavailable', 'the shared store (PostgreSQL) is unreachable; nothing was charged; try again', { retryAfter: 5, cause });
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = options.schema ?? 'public';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new Error(`store.schema must be a plain identifier, got "${schema}"`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    options: `-c search_path=${schema}`,
  });
  // An idle client whose server went away must not crash the daemon; the next query reports it.
  pool.on('error', () => {});

  let migrated: Promise<void> | undefined;
  const ready = () => (migrated ??= migrate(pool, schema).catch((error) => {
    migrated = undefined;
    throw error;
  }));

  /** Every store call: migrations first, unreachability as store_unavailable. */
  async function run<T>(step: () => Promise<T>): Promise<T> {
    try {
      await ready();
      return await step();
    } catch (error) {
      throw isUnreachable(error) ? storeUnavailable(error) : error;
    }
  }
  const query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => run(() => pool.query<R>(text, values));
  async function transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return run(async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await body(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    });
  }

  // Connect now so a reachable database is migrated at start; an unreachable one is retried later.
  await ready().catch(() => {});

  return {
    keys: keyStore(query),
    quotas: quotaStore(query, transaction),
    rateLimits: rateLimitStore(transaction),
    usage: usageLedger(query),
    async health() {
      try {
        await run(() => pool.query('SELECT 1'));
        return { type: 'postgres', ok: true };
      } catch (error) {
        // Only a kind of failure: a driver message could carry the host or user of the URL.
        return { type: 'postgres', ok: false, error: ImagegenError.is(error, 'store_unavailable') ? 'unreachable' : 'error' };
      }
    },
    async close() {
      await pool.end();
    },
  };
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (done.has(index + 1)) continue;
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [index + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;
type Transaction = <T>(body: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

interface KeyRow {
  id: string;
  tenant: string;
  name: string | null;
  prefix: string;
  hash: string;
  created_at: Date;
  revoked_at: Date | null;
}

function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    ...(row.name !== null && { name: row.name }),
    prefix: row.prefix,
    createdAt: row.created_at,
    ...(row.revoked_at !== null && { revokedAt: row.revoked_at }),
  };
}

function keyStore(query: Query): KeyStore {
  return {
    async create(key) {
      const { rows } = await query<KeyRow>(
        'INSERT INTO api_keys (id, tenant, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, now()) RETURNING *',
        [key.id, key.tenant, key.name ?? null, key.prefix, key.hash],
      );
      return toKeyRecord(rows[0]!);
    },
    async findByHash(hash) {
      const row = (await query<KeyRow>('SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL', [hash])).rows[0];
      return row && { ...toKeyRecord(row), hash: row.hash };
    },
    async list(tenant) {
      const { rows } =
        tenant === undefined
          ? await query<KeyRow>('SELECT * FROM api_keys ORDER BY created_at, id')
          : await query<KeyRow>('SELECT * FROM api_keys WHERE tenant = $1 ORDER BY created_at, id', [tenant]);
      return rows.map(toKeyRecord);
    },
    async revoke(id) {
      return ((await query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id])).rowCount ?? 0) > 0;
    },
  };
}

const ADD = `INSERT INTO quota_counters (tenant, metric, "window", used) VALUES ($1, $2, $3, GREATEST(0, $4::float8))
             ON CONFLICT (tenant, metric, "window") DO UPDATE SET used = GREATEST(0, quota_counters.used + $4::float8)`;

/** Rows are always locked in this order, so two reservations never wait on each other in a cycle. */
const byCounter = (a: { metric: string; window: string }, b: { metric: string; window: string }) =>
  a.metric === b.metric ? a.window.localeCompare(b.window) : a.metric.localeCompare(b.metric);

function quotaStore(query: Query, transaction: Transaction): QuotaStore {
  const usedOf = async (run: Query, tenant: string, metric: string, window: string) =>
    (await run<{ used: number }>('SELECT used FROM quota_counters WHERE tenant = $1 AND metric = $2 AND "window" = $3', [tenant, metric, window])).rows[0]?.used ?? 0;

  /** Thrown inside the transaction to roll back every charge already taken. */
  class Refused extends Error {
    constructor(readonly outcome: { ok: false; metric: string; used: number; limit: number }) {
      super('refused');
    }
  }

  return {
    async reserve(tenant, charges) {
      try {
        return await transaction(async (client) => {
          for (const charge of [...charges].sort(byCounter)) {
            if (charge.limit === undefined) {
              await client.query(ADD, [tenant, charge.metric, charge.window, charge.amount]);
              continue;
            }
            await client.query('INSERT INTO quota_counters (tenant, metric, "window", used) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING', [
              tenant,
              charge.metric,
              charge.window,
            ]);
            // The check and the add are one statement on a locked row: never read-then-write.
            const taken = await client.query(
              `UPDATE quota_counters SET used = used + $4::float8
               WHERE tenant = $1 AND metric = $2 AND "window" = $3 AND used + $4::float8 <= $5::float8 + ${EPSILON}
               RETURNING used`,
              [tenant, charge.metric, charge.window, charge.amount, charge.limit],
            );
            if (taken.rowCount === 0) {
              throw new Refused({ ok: false, metric: charge.metric, used: await usedOf((text, values) => client.query(text, values), tenant, charge.metric, charge.window), limit: charge.limit });
            }
          }
          return { ok: true as const };
        });
      } catch (error) {
        if (error instanceof Refused) return error.outcome;
        throw error;
      }
    },
    async adjust(tenant, charges, settlementId, record) {
      await transaction(async (client) => {
        if (record) await client.query(INSERT_USAGE, usageValues(record));
        // A settlement applied once: a retried commit or refund of the same reservation is a no-op.
        if (settlementId !== undefined) {
          const first = await client.query('INSERT INTO quota_settlements (id) VALUES ($1) ON CONFLICT DO NOTHING', [settlementId]);
          if (first.rowCount === 0) return;
        }
        for (const charge of [...charges].sort(byCounter)) if (charge.amount !== 0) await client.query(ADD, [tenant, charge.metric, charge.window, charge.amount]);
      });
    },
    async used(tenant, metric, window) {
      return usedOf(query, tenant, metric, window);
    },
  };
}

function rateLimitStore(transaction: Transaction): RateLimitStore {
  let takes = 0;
  return {
    async take(key, amount, limit, windowSeconds, now = new Date()) {
      const windowMs = windowSeconds * 1000;
      const nowMs = now.getTime();
      const start = Math.floor(nowMs / windowMs) * windowMs;
      return transaction(async (client) => {
        await client.query('INSERT INTO rate_windows (key, window_start, used) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [key, start]);
        const taken = await client.query(
          `UPDATE rate_windows SET used = used + $3::float8 WHERE key = $1 AND window_start = $2 AND used + $3::float8 <= $4::float8 + ${EPSILON} RETURNING used`,
          [key, start, amount, limit],
        );
        if (taken.rowCount === 0) return { ok: false as const, retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - nowMs) / 1000)) };
        // Old windows are never read again; sweep them now and then rather than on every call.
        if (++takes % 500 === 0) await client.query('DELETE FROM rate_windows WHERE window_start < $1', [start - windowMs]);
        return { ok: true as const };
      });
    },
  };
}

interface UsageDbRow {
  id: string;
  at: Date;
  day: string;
  tenant: string;
  key_id: string | null;
  request_id: string | null;
  route: string;
  model: string;
  provider: string | null;
  images: number;
  megapixels: number;
  cached: boolean;
  cost: number;
  status: string;
  latency_ms: number;
}

const GROUP_COLUMN: Record<UsageQuery['groupBy'], string> = { day: 'day', model: 'model' };

const INSERT_USAGE = `INSERT INTO usage (id, at, day, tenant, key_id, request_id, route, model, provider, images, megapixels, cached, cost, status, latency_ms)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;
const usageValues = (r: UsageRecord) => [
  r.id, r.at, r.day, r.tenant, r.keyId ?? null, r.requestId ?? null, r.route, r.model, r.provider ?? null, r.images, r.megapixels, r.cached, r.cost, r.status, Math.round(r.latencyMs),
];

function usageLedger(query: Query): UsageLedger {
  const where = (q: { tenant?: string }) => `at >= $1 AND at < $2${q.tenant === undefined ? '' : ' AND tenant = $3'}`;
  const params = (q: Omit<UsageQuery, 'groupBy'>) => [q.from, q.to, ...(q.tenant === undefined ? [] : [q.tenant])];
  return {
    async record(r: UsageRecord) {
      await query(INSERT_USAGE, usageValues(r));
    },
    async summarize(q) {
      const column = GROUP_COLUMN[q.groupBy];
      const { rows } = await query<Record<string, string | number>>(
        `SELECT tenant, ${column} AS key, COUNT(*)::int AS requests, SUM(images)::int AS images, SUM(megapixels)::float8 AS megapixels,
                SUM(cost)::float8 AS cost, SUM(CASE WHEN cached THEN images ELSE 0 END)::int AS "cachedImages",
                SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END)::int AS failed
         FROM usage WHERE ${where(q)} GROUP BY tenant, ${column} ORDER BY tenant, ${column}`,
        params(q),
      );
      return rows as unknown as UsageRow[];
    },
    async list(q) {
      const { rows } = await query<UsageDbRow>(`SELECT * FROM usage WHERE ${where(q)} ORDER BY at, id`, params(q));
      return rows.map((row) => ({
        id: row.id,
        at: row.at,
        day: row.day,
        tenant: row.tenant,
        ...(row.key_id !== null && { keyId: row.key_id }),
        ...(row.request_id !== null && { requestId: row.request_id }),
        route: row.route,
        model: row.model,
        ...(row.provider !== null && { provider: row.provider }),
        images: row.images,
        megapixels: row.megapixels,
        cached: row.cached,
        cost: row.cost,
        status: row.status,
        latencyMs: row.latency_ms,
      }));
    },
  };
}
