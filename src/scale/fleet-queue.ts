/**
 * A backend's slots shared by every replica through Redis: `concurrency` holds for the fleet, so
 * three replicas in front of a single-GPU A1111 (concurrency 1) never run two calls on it at once.
 *
 * Waiting is fair across tenants fleet-wide, by start-time fair queueing: a waiter's ticket is
 * `max(V, last ticket of its tenant) + 1`, where V is the ticket last granted, and the lowest
 * tickets get the free slots. A tenant with a hundred queued requests holds tickets V+1..V+100; a
 * newcomer's ticket is V+1, so it waits one turn, not a hundred, whichever replica it reached.
 *
 * Every step is one Lua script (atomic on the Redis server, and timed by the server's clock, so
 * replicas' clocks need not agree). Holders and waiters carry leases their replica renews: a replica
 * that dies (SIGKILL) holding a slot frees it when its lease runs out, and its waiters leave the
 * line, so nobody waits behind the dead. A freed slot is announced on a pub/sub channel; waiters
 * also look again every `pollMs`, for slots freed by a lease running out.
 *
 * Circuit breakers stay per replica: each sees its own failures, which is enough to stop sending.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ImagegenError, abortError } from '../imagegen/index.ts';
import { LatencyEstimate, overloaded, type AcquireOptions, type QueueSettings, type SlotQueue } from '../router/queue.ts';

export interface FleetSettings {
  client: Redis;
  prefix: string;
  /** How long a slot, a place in line or a flight claim outlives its replica's last renewal. */
  leaseMs: number;
  /** How often a waiter looks again without an announcement. */
  pollMs: number;
}

/** Sets `now` from the Redis server's clock. */
const NOW = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)`;

/**
 * The grant (KEYS: holders, waiters, alive, vclock; ARGV: id, limit, leaseMs): drops lapsed
 * holders and waiters, then gives this waiter a slot if it is among the first `free`.
 * 0 = granted, n > 0 = place in line, -1 = not in line (its lease lapsed).
 */
const GRANT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, w in ipairs(lapsed) do
  redis.call('ZREM', KEYS[2], w)
  redis.call('ZREM', KEYS[3], w)
end
local ticket = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ticket then return -1 end
local free = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
local rank = redis.call('ZRANK', KEYS[2], ARGV[1])
if rank < free then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  if tonumber(ticket) > tonumber(redis.call('GET', KEYS[4]) or '0') then redis.call('SET', KEYS[4], ticket) end
  return 0
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[1])
return rank - math.max(free, 0) + 1`;

/**
 * Join the line and try at once, in one round trip (KEYS as GRANT, then the tenants' last
 * tickets; ARGV as GRANT, then the tenant). The ticket is max(V, the tenant's last) + 1.
 */
const JOIN = `${NOW}
local v = tonumber(redis.call('GET', KEYS[4]) or '0')
local last = tonumber(redis.call('HGET', KEYS[5], ARGV[4]) or '0')
local joined = math.max(v, last) + 1
redis.call('HSET', KEYS[5], ARGV[4], joined)
redis.call('ZADD', KEYS[2], joined, ARGV[1])
${GRANT}`;

/** Look again (KEYS and ARGV as GRANT). */
const TRY = `${NOW}
${GRANT}`;

/** KEYS: holders, alive. ARGV: leaseMs, then ids. Extends the leases of this replica's holders and waiters. */
const RENEW = `
local t = redis.call('TIME')
local until_ = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i])
  redis.call('ZADD', KEYS[2], 'XX', until_, ARGV[i])
end
return 0`;

interface LocalWaiter {
  id: string;
  /** Ask Redis again now (an announcement came). */
  poke(): void;
}

/** The fleet's queues, one per backend, on one Redis; `close()` stops the renewals and the subscriber. */
export class Fleet {
  private readonly queues = new Map<string, FleetQueue>();
  private readonly subscriber: Redis;
  private readonly renewer: NodeJS.Timeout;

  constructor(readonly settings: FleetSettings) {
    this.subscriber = settings.client.duplicate();
    this.subscriber.on('error', () => {}); // state shows in /healthz; a message could carry the URL
    void this.subscriber.subscribe(this.channel).catch(() => undefined);
    this.subscriber.on('message', (_channel: string, backend: string) => this.queues.get(backend)?.wake());
    this.renewer = setInterval(() => this.queues.forEach((q) => void q.renew()), Math.max(50, settings.leaseMs / 3));
    this.renewer.unref();
  }

  get channel(): string {
    return `${this.settings.prefix}slots:freed`;
  }

  queue(settings: QueueSettings): FleetQueue {
    const queue = new FleetQueue(settings, this);
    this.queues.set(settings.name, queue);
    return queue;
  }

  async close(): Promise<void> {
    clearInterval(this.renewer);
    this.subscriber.disconnect();
  }
}

export class FleetQueue implements SlotQueue {
  private active = new Set<string>();
  private readonly waiters = new Set<LocalWaiter>();
  private readonly latency = new LatencyEstimate();
  private readonly keys: { holders: string; waiters: string; alive: string; last: string; vclock: string };

  constructor(
    readonly settings: QueueSettings,
    private readonly fleet: Fleet,
  ) {
    // One hash tag per backend keeps a backend's keys in one slot of a Redis Cluster.
    const base = `${fleet.settings.prefix}slots:{${settings.name}}:`;
    this.keys = { holders: `${base}holders`, waiters: `${base}waiters`, alive: `${base}alive`, last: `${base}last`, vclock: `${base}vclock` };
  }

  get depth(): number {
    return this.waiters.size;
  }
  get running(): number {
    return this.active.size;
  }
  get load(): number {
    return (this.active.size + this.waiters.size) / this.settings.concurrency;
  }

  observeLatency(ms: number): void {
    this.latency.observe(ms);
  }

  estimateWaitSeconds(): number {
    return this.latency.waitSeconds(this.waiters.size + this.active.size, this.settings.concurrency);
  }

  async acquire(tenant: string, options: AcquireOptions = {}): Promise<() => void> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal);
    if (this.waiters.size >= this.settings.maxQueued) throw overloaded(this, this.waiters.size);
    const { client, leaseMs, pollMs } = this.fleet.settings;
    const k = this.keys;
    let wake: () => void = () => {};
    // Counted at once, so the line limit holds for callers arriving together.
    const waiter: LocalWaiter = { id: randomUUID(), poke: () => wake() };
    const id = waiter.id;
    this.waiters.add(waiter);
    const leave = () => {
      this.waiters.delete(waiter);
      void client.multi().zrem(k.waiters, id).zrem(k.alive, id).publish(this.fleet.channel, this.settings.name).exec().catch(() => undefined);
    };
    try {
      const limit = this.settings.concurrency;
      let answer = Number(await this.redis(() => client.eval(JOIN, 5, k.holders, k.waiters, k.alive, k.vclock, k.last, id, limit, leaseMs, tenant)));
      let lastPosition = -1;
      for (;;) {
        if (answer === 0) break;
        if (answer < 0) throw new ImagegenError('store_unavailable', `lost the place in line for backend ${this.settings.name} (Redis dropped it after its lease)`, { retryable: true });
        if (answer !== lastPosition) options.onPosition?.((lastPosition = answer));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(done, pollMs);
          function done() {
            clearTimeout(timer);
            signal?.removeEventListener('abort', aborted);
            resolve();
          }
          function aborted() {
            clearTimeout(timer);
            reject(abortError(signal!));
          }
          wake = done;
          signal?.addEventListener('abort', aborted, { once: true });
        });
        answer = Number(await this.redis(() => client.eval(TRY, 4, k.holders, k.waiters, k.alive, k.vclock, id, limit, leaseMs)));
      }
    } catch (error) {
      leave();
      throw error;
    }
    this.waiters.delete(waiter);
    this.active.add(id);
    options.onPosition?.(0);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active.delete(id);
      void client.multi().zrem(k.holders, id).publish(this.fleet.channel, this.settings.name).exec().catch(() => undefined);
    };
  }

  /** A slot was freed somewhere: every waiter here asks again. */
  wake(): void {
    this.waiters.forEach((w) => w.poke());
  }

  async renew(): Promise<void> {
    const ids = [...this.active, ...[...this.waiters].map((w) => w.id)];
    if (ids.length === 0) return;
    await this.fleet.settings.client.eval(RENEW, 2, this.keys.holders, this.keys.alive, this.fleet.settings.leaseMs, ...ids).catch(() => undefined);
  }

  /** Redis away: no slot can be taken safely, so the request fails (503) instead of overrunning the GPU. */
  private async redis<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw new ImagegenError('store_unavailable', `Redis is unreachable, so no fleet-wide slot on backend ${this.settings.name} can be taken; try again`, {
        retryable: true,
        retryAfter: 5,
        cause: error,
      });
    }
  }
}
