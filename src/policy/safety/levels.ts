/**
 * Safety levels and what each blocks, as data. A category has a mild and an explicit tier;
 * the table says which tiers each level refuses. Sexual content involving minors is refused at
 * every level, `off` included: that floor is not configurable.
 */
import type { SafetyLevel } from '../../config/index.ts';

export const CATEGORIES = ['sexual_minors', 'sexual', 'violence', 'self_harm', 'hate', 'profanity'] as const;
export type Category = (typeof CATEGORIES)[number];
export type Tier = 'mild' | 'explicit';

const ALL: readonly Tier[] = ['mild', 'explicit'];

export const BLOCKED_TIERS: Record<SafetyLevel, Partial<Record<Category, readonly Tier[]>>> = {
  strict: { sexual_minors: ALL, sexual: ALL, violence: ALL, self_harm: ALL, hate: ALL, profanity: ALL },
  moderate: { sexual_minors: ALL, sexual: ['explicit'], violence: ['explicit'], hate: ALL },
  off: { sexual_minors: ALL },
};

export function blocks(level: SafetyLevel, category: Category, tier: Tier): boolean {
  return BLOCKED_TIERS[level][category]?.includes(tier) ?? false;
}

const RANK: Record<SafetyLevel, number> = { off: 0, moderate: 1, strict: 2 };

/** A request may ask for stricter than its tenant's floor, never looser. */
export function effectiveLevel(floor: SafetyLevel, requested: SafetyLevel | undefined): SafetyLevel {
  return requested !== undefined && RANK[requested] > RANK[floor] ? requested : floor;
}
