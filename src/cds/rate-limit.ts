/**
 * Per-client rate limiting: a token bucket per issuer (CDS client), refilled
 * continuously. A client over its rate gets 429; others are not affected.
 */
export interface RateLimiter {
  /** True when the request may go ahead. */
  take(key: string): boolean;
}

export function createRateLimiter(perMinute: number, now: () => number = () => Date.now()): RateLimiter {
  const capacity = Math.max(1, perMinute);
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: capacity, at: t };
      b.tokens = Math.min(capacity, b.tokens + (t - b.at) * perMs);
      b.at = t;
      buckets.set(key, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
