/** Helpers for policy tests: keys made straight in the app's store, authorised requests. */
import type { Engine } from '../../src/engine.ts';
import { createKey } from '../../src/policy/index.ts';

export async function keyFor(engine: Engine, tenant: string, name?: string): Promise<string> {
  return (await createKey(engine.store.keys, tenant, name)).key;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
