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

const format = (at: Date, timeZone: string) => formatter(timeZone).format(at);

/**
 * The day last asked for in each time zone, and the span of instants known to fall in it.
 * Every request asks (quota window, ledger row), and Intl formatting is a hot-path cost worth
 * tens of microseconds; the span is found once per day per zone.
 */
const days = new Map<string, { day: string; from: number; until: number }>();

/** YYYY-MM-DD of `at` in the time zone. */
export function localDay(at: Date, timeZone: string): string {
  const t = at.getTime();
  const known = days.get(timeZone);
  if (known && t >= known.from && t < known.until) return known.day;
  const day = format(at, timeZone);
  // The last whole second still in `day`, so the span never reaches past midnight.
  days.set(timeZone, { day, from: t, until: t + (secondsUntilNextDay(at, timeZone) - 1) * 1000 + 1 });
  return day;
}

/**
 * Seconds from `now` until the local day changes. Found by stepping an hour at a time then
 * narrowing to the second, so days of 23 or 25 hours (DST) come out right.
 */
export function secondsUntilNextDay(now: Date, timeZone: string): number {
  const today = format(now, timeZone);
  let low = 0;
  let high = 3600;
  while (format(new Date(now.getTime() + high * 1000), timeZone) === today) {
    low = high;
    high += 3600;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (format(new Date(now.getTime() + mid * 1000), timeZone) === today) low = mid;
    else high = mid;
  }
  return high;
}
