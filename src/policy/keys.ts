/**
 * API keys: 32 random bytes, shown once, stored only as a SHA-256 hash. A high-entropy key needs
 * no slow hash (nothing to brute-force). Keys are found by the hash of what is presented, never
 * compared as text, so a lookup's timing tells an attacker about the hash of their guess, which
 * says nothing about any real key.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { KeyRecord, KeyStore } from '../store/index.ts';

export const KEY_PREFIX = 'kim_';

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface NewKey {
  /** The key itself: print it once, never store or log it. */
  key: string;
  record: KeyRecord;
}

export async function createKey(keys: KeyStore, tenant: string, name?: string): Promise<NewKey> {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const record = await keys.create({
    id: `key_${randomBytes(8).toString('hex')}`,
    tenant,
    ...(name !== undefined && { name }),
    prefix: key.slice(0, KEY_PREFIX.length + 6),
    hash: hashKey(key),
  });
  return { key, record };
}

/** The live key record for a presented key, or undefined. */
export async function verifyKey(keys: KeyStore, presented: string): Promise<KeyRecord | undefined> {
  const hash = hashKey(presented);
  const found = await keys.findByHash(hash);
  if (!found) return undefined;
  const { hash: _hash, ...record } = found;
  return record;
}
