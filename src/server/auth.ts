/**
 * Authentication as middleware: `Authorization: Bearer <key>` -> the tenant, kept in the request
 * context for the routes to hand to engine.generate. Open mode (no tenants) needs no key.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Engine, RequestContext } from '../engine.ts';
import { OPEN_TENANT_ID, type Principal } from '../policy/index.ts';
import type { AppEnv } from './app.ts';

export function authMiddleware(engine: Engine): MiddlewareHandler<AppEnv> {
  const publicCards = engine.config.compose.public_cards;
  return async (c, next) => {
    // A card by URL may be open to crawlers; a generate layer in it still meets the policy, keyless: 401.
    if (publicCards && c.req.method === 'GET' && c.req.path.startsWith('/v1/compose/')) return next();
    const header = c.req.header('authorization');
    const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    c.set('principal', await engine.policy.authenticate(bearer));
    await next();
  };
}

/** What a route passes to engine.generate about who asks. */
export function principalContext(c: Context<AppEnv>): Pick<RequestContext, 'principal'> {
  return { principal: c.get('principal') as Principal };
}

/** Whose request this is, for what the HTTP layer keeps per tenant (async jobs). */
export function requestTenant(c: Context<AppEnv>): string {
  return (c.get('principal') as Principal | undefined)?.tenant.id ?? OPEN_TENANT_ID;
}
