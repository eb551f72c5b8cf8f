/**
 * The seed rule. Seeds stay within 0..MAX_SEED so every backend can reproduce them (A1111 draws
 * from randrange(4294967294), ComfyUI takes 64-bit but JS numbers lose precision past 2^53).
 * An explicit seed s with n images gives image i the seed s + i; without one, a random seed is
 * drawn and reported.
 */
export const MAX_SEED = 4_294_967_294;

/** A seed needs no secrecy, only spread: Math.random, which costs nothing on the hot path (webcrypto's draw did). */
export function randomSeed(): number {
  return Math.floor(Math.random() * (MAX_SEED + 1));
}

export function isValidSeed(seed: unknown): seed is number {
  return typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED;
}

/** Seed of image `index` in a request whose first seed is `seed`, wrapping inside the range. */
export function seedAt(seed: number, index: number): number {
  return (seed + index) % (MAX_SEED + 1);
}
