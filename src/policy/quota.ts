/**
 * Daily quotas (images, megapixels, cost per tenant-local day) and the images-per-minute rate
 * limit. A request reserves its estimate atomically when admitted; settling moves the counters
 * to what was delivered, so every image not delivered is refunded.
 */
import { randomUUID } from 'node:crypto';
import { ImagegenError } from '../imagegen/index.ts';
import type { CounterCharge, Store, UsageRecord } from '../store/index.ts';
import type { Tenant } from './tenants.ts';
import { localDay, secondsUntilNextDay } from './windows.ts';

export interface Amounts {
  images: number;
  megapixels: number;
  cost: number;
}

export const ZERO: Amounts = { images: 0, megapixels: 0, cost: 0 };

/** Counter metric -> the tenant quota field that limits it per day. */
const DAILY_LIMITS: Record<keyof Amounts, 'images_per_day' | 'megapixels_per_day' | 'cost_per_day'> = {
  images: 'images_per_day',
  megapixels: 'megapixels_per_day',
  cost: 'cost_per_day',
};

export interface Reservation {
  /** Settles once: a second commit or refund with this id is a no-op in the store. */
  id: string;
  tenant: string;
  window: string;
  reserved: Amounts;
}

export async function reserve(store: Store, tenant: Tenant, estimate: Amounts, now = new Date(), id: string = randomUUID()): Promise<Reservation> {
  const window = localDay(now, tenant.timeZone);
  const charges: CounterCharge[] = (Object.keys(DAILY_LIMITS) as (keyof Amounts)[]).map((metric) => ({
    metric,
    window,
    amount: estimate[metric],
    limit: tenant.quota[DAILY_LIMITS[metric]],
  }));
  const outcome = await store.quotas.reserve(tenant.id, charges);
  if (!outcome.ok) {
    const wanted = estimate[outcome.metric as keyof Amounts];
    throw new ImagegenError(
      'quota_exceeded',
      `daily ${outcome.metric} quota reached for tenant ${tenant.id}: ${round(outcome.used)} of ${outcome.limit} used, this request needs ${round(wanted)}; it resets at midnight ${tenant.timeZone}`,
      { retryAfter: secondsUntilNextDay(now, tenant.timeZone) },
    );
  }
  const reservation = { id, tenant: tenant.id, window, reserved: estimate };
  // After the quota, so a request the quota refuses takes nothing from the minute's allowance,
  // and one the rate limit refuses gives its reservation back: a 429 never costs anything.
  const perMinute = tenant.quota.images_per_minute;
  if (perMinute !== undefined) {
    const rate = await store.rateLimits.take(`${tenant.id}:images_per_minute`, estimate.images, perMinute, 60, now);
    if (!rate.ok) {
      await settle(store, reservation, ZERO);
      throw new ImagegenError('rate_limited', `tenant ${tenant.id} is limited to ${perMinute} images per minute`, {
        retryAfter: rate.retryAfterSeconds,
      });
    }
  }
  return reservation;
}

/** Move the reservation to the delivered amounts (ZERO refunds it all). */
/** Counters moved from the reservation to what was delivered; with `record`, billed in the same commit. */
export async function settle(store: Store, reservation: Reservation, delivered: Amounts, record?: UsageRecord): Promise<void> {
  const charges = (Object.keys(DAILY_LIMITS) as (keyof Amounts)[]).map((metric) => ({
    metric,
    window: reservation.window,
    amount: delivered[metric] - reservation.reserved[metric],
  }));
  await store.quotas.adjust(reservation.tenant, charges, reservation.id, record);
}

const round = (value: number) => Math.round(value * 1000) / 1000;
