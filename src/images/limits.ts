/** Limits on untrusted image input: callers can raise them in the config, never remove them. */
export interface DecodeLimits {
  /** Largest encoded input, in bytes. */
  maxBytes: number;
  /** Largest decoded input, in pixels (width * height): the decompression-bomb guard. */
  maxPixels: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 4096 * 4096,
};
