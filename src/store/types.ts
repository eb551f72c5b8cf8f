/**
 * What the gateway keeps: API keys, quota counters, rate-limit windows and the usage ledger.
 * Async interfaces with no storage detail, so the embedded SQLite implementation and a
 * PostgreSQL/Redis one are interchangeable behind them.
 */

export interface KeyRecord {
  id: string;
  tenant: string;
  name?: string;
  /** The first characters of the key, to recognise it in a list; never enough to use it. */
  prefix: string;
  createdAt: Date;
  revokedAt?: Date;
}

export interface KeyStore {
  /** Stores a key by its hash; the key itself is never stored. */
  create(key: { id: string; tenant: string; name?: string; prefix: string; hash: string }): Promise<KeyRecord>;
  /** The live (not revoked) key with this hash. */
  findByHash(hash: string): Promise<(KeyRecord & { hash: string }) | undefined>;
  list(tenant?: string): Promise<KeyRecord[]>;
  /** True when a live key was revoked. */
  revoke(id: string): Promise<boolean>;
}

/** One counter a reservation touches: its name, the window it counts in, its limit and the amount. */
export interface CounterCharge {
  /** e.g. `images` or `megapixels`; with `window` and the tenant it names one counter. */
  metric: string;
  /** The window's identity, e.g. the tenant's local day `2026-11-22`. */
  window: string;
  amount: number;
  /** Undefined: counted, never refused. */
  limit?: number;
}

export type ReserveOutcome = { ok: true } | { ok: false; metric: string; used: number; limit: number };

export interface QuotaStore {
  /**
   * All charges or none, atomically: no interleaving of concurrent reservations can push a
   * counter past its limit.
   */
  reserve(tenant: string, charges: CounterCharge[]): Promise<ReserveOutcome>;
  /**
   * Give back (negative amounts) or add to counters, without a limit check. With a
   * `settlementId` (the reservation's id) it applies once: a retried commit or refund of the
   * same reservation changes nothing, so a counter cannot drift by being settled twice.
   * With `record`, that ledger record is written in the same transaction (always, even when the
   * settlement was already applied): settling a request and billing it are one commit.
   */
  adjust(tenant: string, charges: Omit<CounterCharge, 'limit'>[], settlementId?: string, record?: UsageRecord): Promise<void>;
  used(tenant: string, metric: string, window: string): Promise<number>;
}

export type RateOutcome = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimitStore {
  /** Take `amount` from a fixed window of `windowSeconds`; refused whole if it would pass `limit`. */
  take(key: string, amount: number, limit: number, windowSeconds: number, now?: Date): Promise<RateOutcome>;
}

export type UsageStatus = 'ok' | 'partial' | string;

export interface UsageRecord {
  id: string;
  at: Date;
  /** The tenant's local day the record counts in (YYYY-MM-DD). */
  day: string;
  tenant: string;
  keyId?: string;
  requestId?: string;
  route: string;
  model: string;
  provider?: string;
  images: number;
  megapixels: number;
  cached: boolean;
  cost: number;
  /** `ok`, or the error code that ended the request. */
  status: UsageStatus;
  latencyMs: number;
}

export interface UsageQuery {
  /** Undefined: every tenant (admins). */
  tenant?: string;
  from: Date;
  to: Date;
  groupBy: 'day' | 'model';
}

export interface UsageRow {
  tenant: string;
  /** The day or the model, by `groupBy`. */
  key: string;
  requests: number;
  images: number;
  megapixels: number;
  cost: number;
  cachedImages: number;
  failed: number;
}

export interface UsageLedger {
  /** Durable once the promise resolves. */
  record(record: UsageRecord): Promise<void>;
  summarize(query: UsageQuery): Promise<UsageRow[]>;
  /** Raw records, oldest first (for exports and tests). */
  list(query: Omit<UsageQuery, 'groupBy'>): Promise<UsageRecord[]>;
}

export interface StoreHealth {
  type: 'sqlite' | 'postgres';
  ok: boolean;
  error?: string;
}

export interface Store {
  keys: KeyStore;
  quotas: QuotaStore;
  rateLimits: RateLimitStore;
  usage: UsageLedger;
  /** Whether the store answers now (for /healthz); `type` names the implementation. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
