/** Quota windows: a tenant's local day, and how long until it ends. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** YYYY-MM-DD of `at` in the time zone. */
export function localDay(at: Date, timeZone: string): string {
  return formatter(timeZone).format(at);
}

/**
 * Seconds from `now` until the local day changes. Found by stepping an hour at a time then
 * narrowing to the second, so days of 23 or 25 hours (DST) come out right.
 */
export function secondsUntilNextDay(now: Date, timeZone: string): number {
  const today = localDay(now, timeZone);
  let low = 0;
  let high = 3600;
  while (localDay(new Date(now.getTime() + high * 1000), timeZone) === today) {
    low = high;
    high += 3600;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (localDay(new Date(now.getTime() + mid * 1000), timeZone) === today) low = mid;
    else high = mid;
  }
  return high;
}
