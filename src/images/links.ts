/**
 * Images kept for a short while under an unguessable id, for their owner (a tenant) only: the
 * OpenAI door's `response_format: "url"` (GET /v1/images/files/{id}) and the MCP door's
 * resources (kimaging://images/{id}) link to them instead of carrying the bytes. Kept in memory
 * with a byte budget (oldest out first), so a link is served by the replica that answered it.
 */
import { randomBytes } from 'node:crypto';

export const LINK_TTL_SECONDS = 3600;
const BUDGET_BYTES = 256 * 1024 * 1024;

interface Entry {
  tenant: string;
  bytes: Uint8Array;
  mimeType: string;
  expires: number;
}

export interface ImageLinks {
  put(tenant: string, bytes: Uint8Array, mimeType: string): string;
  /** The image for this tenant, or undefined (unknown, expired, or another tenant's). */
  get(tenant: string, id: string): Entry | undefined;
}

export function createImageLinks(now: () => number = Date.now): ImageLinks {
  // A Map iterates in insertion order: the first entries are the oldest.
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const drop = (id: string) => {
    bytes -= entries.get(id)!.bytes.byteLength;
    entries.delete(id);
  };
  return {
    put(tenant, image, mimeType) {
      for (const [id, entry] of entries) {
        if (entry.expires > now() && bytes + image.byteLength <= BUDGET_BYTES) break;
        drop(id);
      }
      const id = `img_${randomBytes(16).toString('hex')}`;
      entries.set(id, { tenant, bytes: image, mimeType, expires: now() + LINK_TTL_SECONDS * 1000 });
      bytes += image.byteLength;
      return id;
    },
    get(tenant, id) {
      const entry = entries.get(id);
      if (!entry || entry.tenant !== tenant) return undefined;
      if (entry.expires <= now()) {
        drop(id);
        return undefined;
      }
      return entry;
    },
  };
}
