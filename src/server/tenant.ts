/**
 * Whose request this is, for what the HTTP layer keeps per tenant (async jobs). The policy stage
 * sets the `tenant` variable once it has mapped the API key; until then every caller is "local",
 * the same namespace the router uses for a request without a tenant.
 */
import type { Context } from 'hono';

export function requestTenant(c: Context): string {
  const tenant: unknown = (c.var as Record<string, unknown>).tenant;
  if (typeof tenant === 'string') return tenant;
  if (tenant && typeof tenant === 'object' && typeof (tenant as { id?: unknown }).id === 'string') return (tenant as { id: string }).id;
  return 'local';
}
