import { StoreUnavailableError, type SharedState } from '../store/store.js';

/**
 * Per-client rate limiting: a token bucket per issuer (CDS client), refilled
 * continuously. A client over its rate gets 429; others are not affected.
 * With a shared store (PostgreSQL, or WORKERS > 1) the bucket is one for the
 * whole service, in the store, whichever process or instance takes the call;
 * while the store cannot be reached each process falls back to a bucket of
 * its own of the same size (so N processes allow up to N times the rate for
 * that while), and `onSharedUnavailable` is told.
 */
export interface RateLimiter {
  /** True when the request may go ahead. */
  take(key: string): Promise<boolean>;
}

export interface RateLimiterOptions {
  readonly now?: () => number;
  readonly shared?: Pick<SharedState, 'takeToken'>;
  readonly onSharedUnavailable?: (message: string) => void;
}

export function createRateLimiter(perMinute: number, options: RateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? (() => Date.now());
  const capacity = Math.max(1, perMinute);
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const takeLocal = (key: string) => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: capacity, at: t };
    b.tokens = Math.min(capacity, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
  return {
    async take(key) {
      if (!options.shared) return takeLocal(key);
      try {
        return await options.shared.takeToken(key, capacity, perMs, now());
      } catch (e) {
        if (!(e instanceof StoreUnavailableError)) throw e;
        options.onSharedUnavailable?.(e.message);
        return takeLocal(key);
      }
    },
  };
}
