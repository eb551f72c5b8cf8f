/**
 * What a server offers, asked once and cached: its flavor, sampler and scheduler names, and
 * checkpoints. Names matter because neither server refuses an unknown one: A1111 falls back to its
 * first sampler and to the Automatic schedule, sd-server keeps its default. So a name is checked
 * against this list before it is sent, and a missing one is reported instead of silently swapped.
 */
import type { SdapiFlavor } from '../../knobs/dialects/sdapi.ts';

export interface ServerOffer {
  flavor: SdapiFlavor;
  /** Sampler names the server matches; undefined when it could not say. */
  samplers?: ReadonlySet<string>;
  /** Scheduler names (and A1111 labels); undefined when it could not say. */
  schedulers?: ReadonlySet<string>;
  /** A1111 before 1.9: no /schedulers and no `scheduler` field; schedules live in sampler labels. */
  legacySamplers: boolean;
  /** sd-server's native async API (/sdcpp/v1, since #1407); undefined on older servers and on A1111. */
  native?: SdcppCapabilities;
}

/** What `GET /sdcpp/v1/capabilities` says that we use (examples/server/api.md). */
export interface SdcppCapabilities {
  /** Native `sample_method` names; the native API takes no A1111 aliases. */
  samplers?: ReadonlySet<string>;
  schedulers?: ReadonlySet<string>;
}

export interface Checkpoint {
  title: string;
  modelName?: string;
}

/** GET a path: the parsed JSON, or undefined for a 404 (the route does not exist there). */
export type GetJson = (path: string) => Promise<unknown>;

export interface SdapiDiscovery {
  /** `prefix` is '' or llama-swap's `/upstream/<model>`. */
  offer(prefix: string): Promise<ServerOffer>;
  checkpoints(prefix: string): Promise<Checkpoint[] | undefined>;
}

type Loose = Record<string, unknown>;
const entries = (value: unknown): Loose[] =>
  Array.isArray(value) ? value.filter((item): item is Loose => typeof item === 'object' && item !== null) : [];
const strings = (...values: unknown[]): string[] => values.filter((v): v is string => typeof v === 'string' && v !== '');
const isLoose = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A name list as strings, or as `{name}` entries (unverified: api.md types them array<string>). */
function nameSet(value: unknown): ReadonlySet<string> | undefined {
  if (!Array.isArray(value)) return undefined;
  return new Set(value.flatMap((item) => (typeof item === 'string' ? strings(item) : isLoose(item) ? strings(item.name) : [])));
}

export function parseSdcppCapabilities(body: unknown): SdcppCapabilities {
  if (!isLoose(body)) return {};
  const samplers = nameSet(body.samplers);
  const schedulers = nameSet(body.schedulers);
  return {
    ...(samplers?.size && { samplers }),
    ...(schedulers?.size && { schedulers }),
  };
}

export interface SdapiDiscoveryOptions {
  flavor: SdapiFlavor | 'auto';
  ttlMs: number;
  get: GetJson;
  /** Ask sd-server for its native API (default true); false keeps every call on /sdapi/v1. */
  native?: boolean;
}

export function createSdapiDiscovery(options: SdapiDiscoveryOptions): SdapiDiscovery {
  const cache = new Map<string, { expires: number; value: Promise<unknown> }>();

  /** One in-flight or fresh answer per key; a failure is not cached, so the next call asks again. */
  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.value as Promise<T>;
    const value = load();
    cache.set(key, { expires: Date.now() + options.ttlMs, value });
    value.catch(() => cache.delete(key));
    return value;
  }

  return {
    offer: (prefix) =>
      cached(`offer ${prefix}`, async () => {
        const askNative = options.native !== false && options.flavor !== 'a1111';
        const [samplerList, schedulerList, capabilities] = await Promise.all([
          options.get(`${prefix}/sdapi/v1/samplers`),
          options.get(`${prefix}/sdapi/v1/schedulers`),
          // Asked alongside, not after the flavor is known: one round trip. A server without the
          // route (older sd-server, A1111) answers 404. Any other failure also means /sdapi/v1: it
          // still works, and a generation should not fail over an optional route.
          askNative ? options.get(`${prefix}/sdcpp/v1/capabilities`).catch(() => undefined) : undefined,
        ]);
        const samplerNames = samplerList === undefined ? undefined : entries(samplerList).flatMap((s) => strings(s.name));
        // sd-server lists its native names after a "default" entry; an A1111 label never reads "default".
        // A server without /samplers at all is an early sd-server (A1111 has had it since its API began).
        const flavor: SdapiFlavor =
          options.flavor !== 'auto' ? options.flavor : samplerNames === undefined || samplerNames.includes('default') ? 'sdcpp' : 'a1111';
        const native = flavor === 'sdcpp' && capabilities !== undefined ? parseSdcppCapabilities(capabilities) : undefined;
        return {
          flavor,
          // With the native API the names are checked against the lists it takes them from.
          samplers: native?.samplers ?? (samplerNames && new Set(samplerNames)),
          schedulers: native?.schedulers ?? (schedulerList === undefined ? undefined : new Set(entries(schedulerList).flatMap((s) => strings(s.name, s.label)))),
          legacySamplers: flavor === 'a1111' && samplerList !== undefined && schedulerList === undefined,
          ...(native && { native }),
        };
      }),
    checkpoints: (prefix) =>
      cached(`checkpoints ${prefix}`, async () => {
        const list = await options.get(`${prefix}/sdapi/v1/sd-models`);
        if (list === undefined) return undefined;
        return entries(list).flatMap((m) => {
          const [title, modelName] = [strings(m.title)[0], strings(m.model_name)[0]];
          return title ? [{ title, ...(modelName && { modelName }) }] : [];
        });
      }),
  };
}
