/**
 * Tenants come from the config. Without any, the service runs open: every request is tenant
 * `local` (an admin, so it sees its own usage as everyone's), and the daemon binds loopback only.
 */
import { ConfigError, type CapsConfig, type Config, type QuotaConfig, type SafetyLevel } from '../config/index.ts';

export const OPEN_TENANT_ID = 'local';

export interface Tenant {
  id: string;
  name: string;
  safety: SafetyLevel;
  /** Undefined: every model. */
  models?: ReadonlySet<string>;
  caps: CapsConfig;
  quota: QuotaConfig;
  timeZone: string;
  admin: boolean;
}

export interface Tenants {
  /** True when no tenant is configured: no keys, tenant `local`. */
  readonly open: boolean;
  get(id: string): Tenant | undefined;
  list(): Tenant[];
}

/** Drop unset fields so a tenant's own value overrides the default only where it has one. */
const defined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

export function tenantsFromConfig(config: Config): Tenants {
  const { policy } = config;
  const byId = new Map<string, Tenant>();
  for (const [index, t] of config.tenants.entries()) {
    if (byId.has(t.id)) throw new ConfigError(`tenants.${index}.id: "${t.id}" is defined twice`);
    byId.set(t.id, {
      id: t.id,
      name: t.name ?? t.id,
      safety: t.safety,
      ...(t.models && { models: new Set(t.models) }),
      caps: { ...defined(policy.caps), ...defined(t.caps) },
      quota: { ...defined(policy.quota), ...defined(t.quota) },
      timeZone: t.time_zone,
      admin: t.admin,
    });
  }
  const open = byId.size === 0;
  if (open) {
    byId.set(OPEN_TENANT_ID, {
      id: OPEN_TENANT_ID,
      name: 'local (open mode)',
      safety: policy.safety.default_level,
      caps: defined(policy.caps),
      quota: defined(policy.quota),
      timeZone: 'UTC',
      admin: true,
    });
  }
  return { open, get: (id) => byId.get(id), list: () => [...byId.values()] };
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\]|::ffff:127(?:\.\d{1,3}){3})$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
