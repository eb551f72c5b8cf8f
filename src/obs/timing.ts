/**
 * Where a request's time went, for the Server-Timing header on image answers: waiting for a
 * backend slot, the backend call itself, the gateway's policy (keys, caps, prompt safety, quota,
 * ledger, image safety) and encoding the answer. Each stage adds to its own field, so a fallback
 * chain sums its attempts; a cache hit or a coalesced follower shows no queue or backend time.
 */
export interface Timings {
  queue: number;
  backend: number;
  policy: number;
  encode: number;
}

export const newTimings = (): Timings => ({ queue: 0, backend: 0, policy: 0, encode: 0 });

/** `queue;dur=0.01, backend;dur=20.3, ...` (milliseconds, as RFC 8673's `dur` is). */
export function serverTiming(timings: Timings): string {
  return (Object.keys(timings) as (keyof Timings)[]).map((name) => `${name};dur=${timings[name].toFixed(2)}`).join(', ');
}
