/**
 * The router: resolve the name a request gives (a model or an alias's chain), answer from the
 * cache, join an identical request already in flight, otherwise walk the chain: per backend a
 * circuit breaker and a tenant-fair queue, per attempt a timeout, over all an overall deadline. A
 * retryable failure moves to the next model and is reported as a warning; any other failure is
 * the answer (a refusal is never routed around). See DESIGN.md, "How a request flows".
 */
import type { Config } from '../config/index.ts';
import {
  ImagegenError,
  abortError,
  withProgress,
  withSignal,
  type CallOptions,
  type Option,
  type Request,
  type Result,
  type Warning,
  untilAborted,
} from '../imagegen/index.ts';
import { promptFields, type Logger } from '../obs/log.ts';
import type { Metrics } from '../obs/metrics.ts';
import { CircuitBreaker } from './breaker.ts';
import { cacheKey, type CachedResult, type ResultCache } from './cache.ts';
import type { Timings } from '../obs/timing.ts';
import { BackendQueue, type QueueSettings, type SlotQueue } from './queue.ts';
import type { FleetFlights } from '../scale/shared-cache.ts';
import type { ModelRegistry, RegisteredModel, Route } from './registry.ts';

export type CacheMode = 'default' | 'no-cache' | 'no-store';

export interface RouteOptions extends CallOptions {
  /** Whose request: the cache namespace and the queue's fairness unit. Absent: "local". */
  tenant?: string | { id: string };
  requestId?: string;
  /** no-cache: do not answer from the cache (the fresh answer is stored); no-store: neither read nor write. */
  cache?: CacheMode;
  /** The 1-based place in a backend's line while waiting; 0 when the call starts. */
  onQueue?: (position: number) => void;
  /** Filled with the queue wait and backend time of the attempts (Server-Timing). */
  timings?: Timings;
}

export type RoutedResult = Result & { cached: boolean };

export interface HealthCheck {
  ok: boolean;
  at: string;
  latency_ms: number;
  error?: string;
}

export interface BackendHealth {
  name: string;
  state: 'closed' | 'open' | 'half_open';
  consecutive_failures: number;
  running: number;
  queued: number;
  concurrency: number;
  queue_limit: number;
  /** The last health check, for backends that can be checked (their provider lists models). */
  check?: HealthCheck;
}

export interface Router {
  generate(modelId: string | undefined, request: Request, options?: RouteOptions): Promise<RoutedResult>;
  health(): BackendHealth[];
  /** Checks every backend that can be checked now (also run every `health_check_s`). */
  checkBackends(): Promise<void>;
  close(): Promise<void>;
}

export interface RouterDeps {
  registry: ModelRegistry;
  config: Pick<Config, 'router' | 'cache'>;
  metrics: Metrics;
  logger: Logger;
  /** Absent or disabled in the config: nothing is cached. */
  cache?: ResultCache;
  /** Where backend slots come from: the fleet's (Redis) when replicas share; default this process's. */
  queueFor?: (settings: QueueSettings) => SlotQueue;
  /** Identical requests on several replicas make one call (with the shared cache tier). */
  fleetFlights?: FleetFlights;
}

interface Backend {
  queue: SlotQueue;
  breaker: CircuitBreaker;
  check?: HealthCheck;
}

/** A health check that takes longer than this has failed. */
const CHECK_TIMEOUT_MS = 10_000;

/** One shared execution of identical requests; it is cancelled when its last member leaves. */
interface Flight {
  promise: Promise<RoutedResult>;
  members: Set<Pick<RouteOptions, 'onProgress' | 'onQueue'>>;
  controller: AbortController;
  /** The last queue position reported (0 once the backend call started). */
  position?: number;
}

interface Failure {
  model: RegisteredModel;
  error: ImagegenError;
}

const BACKEND_FAULTS: ReadonlySet<string> = new Set(['provider_error', 'provider_timeout']);

export function createRouter(deps: RouterDeps): Router {
  const { registry, config, metrics, logger } = deps;
  const cache = config.cache.enabled ? deps.cache : undefined;
  const backends = new Map<string, Backend>();
  const queueFor = deps.queueFor ?? ((settings: QueueSettings) => new BackendQueue(settings));
  for (const { provider } of registry.list()) {
    if (backends.has(provider)) continue;
    const limits = config.router.backends[provider] ?? {};
    backends.set(provider, {
      queue: queueFor({
        name: provider,
        concurrency: limits.concurrency ?? config.router.default_concurrency,
        maxQueued: limits.queue ?? config.router.default_queue,
      }),
      breaker: new CircuitBreaker({ failures: config.router.breaker.failures, cooldownMs: config.router.breaker.cooldown_s * 1000 }),
    });
  }
  const flights = new Map<string, Flight>();

  metrics.registry.gauge('kimaging_queue_depth', 'Requests waiting for a backend', () =>
    [...backends].map(([name, b]) => ({ labels: { backend: name }, value: b.queue.depth })),
  );
  metrics.registry.gauge('kimaging_backend_running', 'Calls a backend is serving now', () =>
    [...backends].map(([name, b]) => ({ labels: { backend: name }, value: b.queue.running })),
  );
  metrics.registry.gauge('kimaging_breaker_open', 'Circuit state per backend: 0 closed, 1 open, 0.5 half-open', () =>
    [...backends].map(([name, b]) => ({ labels: { backend: name }, value: { closed: 0, half_open: 0.5, open: 1 }[b.breaker.state] })),
  );

  const backendOf = (model: RegisteredModel) => backends.get(model.info.provider)!;

  /**
   * A failed check counts toward opening the circuit, so a dead backend is skipped before callers
   * meet it. A passing check never closes an open circuit: listing models is not generating, only
   * a real call (the half-open probe) is proof.
   */
  async function checkBackends(): Promise<void> {
    await Promise.all(
      [...backends].map(async ([name, backend]) => {
        const provider = registry.provider(name);
        if (!provider?.listModels) return;
        const started = performance.now();
        let error: string | undefined;
        let down = false;
        try {
          await provider.listModels({ signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
        } catch (raw) {
          error = raw instanceof Error ? raw.message : String(raw);
          // Unreachable, timing out or failing is down; a 4xx (no model list, a key that may not
          // list) says nothing about whether it generates.
          down = !(raw instanceof ImagegenError) || raw.retryable;
        }
        backend.check = { ok: !error, at: new Date().toISOString(), latency_ms: Math.round(performance.now() - started), ...(error && { error }) };
        if (error) {
          if (down) backend.breaker.failure();
          logger.warn('health check failed', { backend: name, error });
        }
      }),
    );
  }
  const checker = config.router.health_check_s > 0 ? setInterval(() => void checkBackends(), config.router.health_check_s * 1000) : undefined;
  checker?.unref();

  async function generate(modelId: string | undefined, request: Request, options: RouteOptions = {}): Promise<RoutedResult> {
    const started = performance.now();
    const route = registry.route(modelId);
    const tenant = tenantName(options.tenant);
    const mode = options.cache ?? 'default';
    const deterministic = request.seed !== undefined || config.cache.unseeded;
    const key = deterministic ? cacheKey(config.cache.shared ? 'shared' : `tenant:${tenant}`, route.name, request) : undefined;
    const log = { request_id: options.requestId, tenant, requested: route.name };

    if (cache && key && mode === 'default') {
      const hit = await cache.get(key);
      metrics.cache.inc({ result: hit ? `hit_${hit.tier}` : 'miss' });
      if (hit) {
        countImages(hit.result, true);
        logger.info('routed', { ...log, model: hit.result.model, provider: hit.result.provider, cached: true, latency_ms: elapsed(started) });
        return { ...hit.result, cached: true };
      }
    }

    if (options.signal?.aborted) throw abortError(options.signal);
    let result: RoutedResult;
    const found = key ? flights.get(key) : undefined;
    // A flight whose members all left is being cancelled: a newcomer starts afresh.
    const inFlight = found && !found.controller.signal.aborted ? found : undefined;
    if (inFlight) {
      metrics.coalesced.inc();
      result = await joinFlight(inFlight, options);
    } else if (key) {
      const flight = startFlight(key, route, request, tenant, { ...options, cache: mode });
      result = await joinFlight(flight, options);
    } else {
      result = await runChain(route, request, tenant, options);
    }
    logger.info('routed', {
      ...log,
      ...promptFields(logger, request.prompt),
      model: result.model,
      provider: result.provider,
      images: result.images.length,
      cached: false,
      coalesced: inFlight !== undefined,
      latency_ms: elapsed(started),
    });
    return result;
  }

  function startFlight(key: string, route: Route, request: Request, tenant: string, options: RouteOptions): Flight {
    const flight: Flight = { promise: undefined as never, members: new Set(), controller: new AbortController() };
    // Every member hears the flight's queue position and progress; a late joiner gets the last position at once.
    const broadcast = {
      onProgress: (event: Parameters<NonNullable<CallOptions['onProgress']>>[0]) => flight.members.forEach((m) => m.onProgress?.(event)),
      onQueue: (position: number) => {
        flight.position = position;
        flight.members.forEach((m) => m.onQueue?.(position));
      },
    };
    const run = async () => {
      const result = await runChain(route, request, tenant, { ...options, ...broadcast, signal: flight.controller.signal });
      // The flight stores its answer (once, for all who joined), before other replicas are told it is there.
      if (cache && options.cache !== 'no-store') await cache.set(key, withoutRaw(result));
      return result;
    };
    // Across replicas: one of them runs, the others read its answer from the shared cache.
    const shared = deps.fleetFlights && cache && options.cache !== 'no-store' ? deps.fleetFlights : undefined;
    flight.promise = shared
      ? shared.once(key, run, async () => {
          const hit = await cache!.get(key);
          return hit && { ...hit.result, cached: false };
        }, flight.controller.signal)
      : run();
    flights.set(key, flight);
    // A flight being cancelled may already have been replaced under its key; leave the new one.
    const land = () => {
      if (flights.get(key) === flight) flights.delete(key);
    };
    void flight.promise.then(land, land);
    return flight;
  }

  function joinFlight(flight: Flight, options: RouteOptions): Promise<RoutedResult> {
    const { signal } = options;
    const member = { onProgress: options.onProgress, onQueue: options.onQueue };
    flight.members.add(member);
    if (flight.position !== undefined) member.onQueue?.(flight.position);
    return new Promise((resolve, reject) => {
      const leave = () => {
        flight.members.delete(member);
        if (flight.members.size === 0) flight.controller.abort(signal!.reason);
        reject(abortError(signal!));
      };
      if (signal?.aborted) return leave();
      signal?.addEventListener('abort', leave, { once: true });
      flight.promise.then(
        (result) => {
          signal?.removeEventListener('abort', leave);
          flight.members.delete(member);
          resolve(result);
        },
        (error: unknown) => {
          signal?.removeEventListener('abort', leave);
          flight.members.delete(member);
          reject(error);
        },
      );
    });
  }

  async function runChain(route: Route, request: Request, tenant: string, options: RouteOptions): Promise<RoutedResult> {
    const deadlineS = config.router.deadline_s;
    const deadline = timeoutSignal(deadlineS * 1000, () => new ImagegenError('provider_timeout', `no model of "${route.name}" answered within the ${deadlineS} s deadline`), options.signal);
    const { signal } = deadline;
    const chain = route.balance ? [...route.models].sort((a, b) => backendOf(a).queue.load - backendOf(b).queue.load) : route.models;
    const failures: Failure[] = [];
    try {
      for (const model of chain) {
        const outcome = await attempt(model, request, tenant, options, signal);
        if ('error' in outcome) {
          failures.push({ model, error: outcome.error });
          continue;
        }
        if (failures.length > 0) metrics.fallbacks.inc({ requested: route.name, served: model.info.id });
        const result: RoutedResult = {
          ...outcome.result,
          model: model.info.id,
          provider: model.info.provider,
          warnings: [...failures.map(fallbackWarning), ...outcome.result.warnings],
          cached: false,
        };
        countImages(result, false);
        return result;
      }
      throw exhausted(route, failures);
    } finally {
      deadline.clear();
    }
  }

  /** One model: breaker, queue slot, call under the attempt timeout. Retryable failures come back as data. */
  async function attempt(
    model: RegisteredModel,
    request: Request,
    tenant: string,
    options: RouteOptions,
    signal: AbortSignal,
  ): Promise<{ result: Result } | { error: ImagegenError }> {
    const name = model.info.provider;
    const { queue, breaker } = backendOf(model);
    if (!breaker.tryAcquire()) {
      const wait = Math.ceil(breaker.retryAfterSeconds());
      metrics.attempts.inc({ backend: name, outcome: 'circuit_open' });
      return {
        error: new ImagegenError('provider_error', `backend ${name} is unavailable: its circuit is open after repeated failures (next probe in ${wait} s)`, {
          retryAfter: Math.max(1, wait),
          provider: name,
        }),
      };
    }
    let release: () => void;
    const queued = performance.now();
    try {
      release = await queue.acquire(tenant, { signal, onPosition: options.onQueue });
      if (options.timings) options.timings.queue += performance.now() - queued;
    } catch (raw) {
      breaker.release();
      if (signal.aborted) throw abortError(signal);
      const error = raw as ImagegenError;
      metrics.rejections.inc({ backend: name });
      return { error };
    }

    const timeoutS = config.router.attempt_timeout_s;
    const timer = timeoutSignal(timeoutS * 1000, () => new ImagegenError('provider_timeout', `model ${model.info.id} (backend ${name}) did not answer within ${timeoutS} s`, { provider: name }), signal);
    const attemptSignal = timer.signal;
    const calls: Option[] = [withSignal(attemptSignal)];
    if (options.onProgress) calls.push(withProgress(options.onProgress));
    const started = performance.now();
    try {
      const result = await untilAborted(model.model.generate({ ...model.defaults, ...request }, ...calls), attemptSignal);
      const ms = performance.now() - started;
      if (options.timings) options.timings.backend += ms;
      queue.observeLatency(ms);
      metrics.backendLatency.observe({ backend: name, outcome: 'ok' }, ms / 1000);
      metrics.attempts.inc({ backend: name, outcome: 'ok' });
      breaker.success();
      return { result };
    } catch (raw) {
      const ms = performance.now() - started;
      const error = attemptSignal.aborted ? abortError(attemptSignal) : asImagegenError(raw, model);
      metrics.backendLatency.observe({ backend: name, outcome: 'error' }, ms / 1000);
      metrics.attempts.inc({ backend: name, outcome: error.code });
      // Only the backend's own faults strike it: not a refusal of one caller's request (a
      // non-retryable 400), and not a timeout that was the caller's queue wait or deadline.
      if (BACKEND_FAULTS.has(error.code) && error.retryable && !signal.aborted) breaker.failure();
      else if (error.retryable || error.code === 'cancelled') breaker.release();
      else breaker.success(); // it answered, with a refusal: the backend is healthy
      logger.warn('attempt failed', {
        request_id: options.requestId,
        tenant,
        model: model.info.id,
        backend: name,
        code: error.code,
        error: error.message,
        latency_ms: Math.round(ms),
      });
      if (signal.aborted) throw abortError(signal);
      if (!error.retryable) throw error;
      return { error };
    } finally {
      timer.clear();
      release();
    }
  }

  function countImages(result: CachedResult, cached: boolean): void {
    metrics.images.inc({ model: result.model, provider: result.provider, cached: String(cached) }, result.images.length);
  }

  return {
    generate,
    checkBackends,
    health: () =>
      [...backends].map(([name, { queue, breaker, check }]) => ({
        name,
        ...breaker.snapshot(),
        running: queue.running,
        queued: queue.depth,
        concurrency: queue.settings.concurrency,
        queue_limit: queue.settings.maxQueued,
        ...(check && { check }),
      })),
    async close() {
      clearInterval(checker);
      for (const flight of flights.values()) flight.controller.abort(new ImagegenError('cancelled', 'the service is shutting down', { retryable: false }));
      await cache?.flush();
    },
  };
}

function tenantName(tenant: RouteOptions['tenant']): string {
  if (typeof tenant === 'string') return tenant;
  return tenant?.id ?? 'local';
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function withoutRaw(result: RoutedResult): CachedResult {
  const { raw: _raw, cached: _cached, ...rest } = result;
  return rest;
}

/** A provider that threw something other than our error has a bug or a raw network fault: a retryable backend error. */
function asImagegenError(raw: unknown, model: RegisteredModel): ImagegenError {
  if (raw instanceof ImagegenError) return raw;
  const message = raw instanceof Error ? raw.message : String(raw);
  return new ImagegenError('provider_error', `model ${model.info.id} (backend ${model.info.provider}) failed: ${message}`, {
    provider: model.info.provider,
    cause: raw,
  });
}

function fallbackWarning({ model, error }: Failure): Warning {
  return { type: 'other', setting: 'model', message: `model ${model.info.id} (backend ${model.info.provider}) failed, fell back: ${error.code}: ${error.message}` };
}

/** Every model failed: one failure is the answer as it was; several are summed up under the last one's code. */
function exhausted(route: Route, failures: Failure[]): ImagegenError {
  if (failures.length === 1) return failures[0]!.error;
  const last = failures.at(-1)!.error;
  const waits = failures.map((f) => f.error.retryAfter).filter((s): s is number => s !== undefined);
  const code = failures.every((f) => f.error.code === 'overloaded') ? 'overloaded' : last.code;
  return new ImagegenError(code, `every model of "${route.name}" failed: ${failures.map((f) => `${f.model.info.id}: ${f.error.message}`).join('; ')}`, {
    retryable: true,
    ...(waits.length > 0 && { retryAfter: Math.min(...waits) }),
  });
}

/**
 * A signal that aborts with our own error after `ms` (AbortSignal.timeout's reason is a
 * DOMException), or with the parent's reason if the parent aborts first. One controller and one
 * listener: AbortSignal.any made a further signal with weak-reference bookkeeping, twice on every
 * request's path, and was a measurable part of the gateway's overhead.
 */
function timeoutSignal(ms: number, reason: () => ImagegenError, parent?: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, clear: () => {} };
  }
  const onParent = () => controller.abort(parent!.reason);
  parent?.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => controller.abort(reason()), ms);
  timer.unref?.();
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}
