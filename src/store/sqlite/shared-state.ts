import type Database from 'better-sqlite3';
import type { SharedState } from '../store.js';

/**
 * The JWT replay cache and rate-limit buckets in the SQLite file, for several
 * worker processes on one host (WORKERS > 1). Each call is one short write
 * transaction (synchronous=NORMAL: a power cut may forget the last token ids,
 * which expire within minutes anyway).
 */
export class SqliteSharedState implements SharedState {
  private readonly remember;
  private readonly take;
  private readonly pruneJti;

  constructor(
    db: Database.Database,
    private readonly write: <T>(fn: () => T) => T,
  ) {
    // A row comes back when the id is new or its earlier entry has expired; none for a replay.
    this.remember = db.prepare(
      `INSERT INTO jti_seen (key, expires_at) VALUES (@key, @expires)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE jti_seen.expires_at < @now
       RETURNING key`,
    );
    // Token bucket: refill since the last take, then take one if there is one (no row back: refused).
    this.take = db.prepare(
      `INSERT INTO rate_bucket (key, tokens, at) VALUES (@key, @capacity - 1, @now)
       ON CONFLICT (key) DO UPDATE SET
         tokens = min(@capacity, rate_bucket.tokens + max(0, @now - rate_bucket.at) * @perMs) - 1,
         at = max(rate_bucket.at, @now)
       WHERE min(@capacity, rate_bucket.tokens + max(0, @now - rate_bucket.at) * @perMs) >= 1
       RETURNING tokens`,
    );
    this.pruneJti = db.prepare('DELETE FROM jti_seen WHERE expires_at < ?');
  }

  async rememberJti(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    return this.write(() => this.remember.get({ key, expires: expiresAtMs, now: nowMs }) !== undefined);
  }

  async takeToken(key: string, capacity: number, perMs: number, nowMs: number): Promise<boolean> {
    return this.write(() => this.take.get({ key, capacity, perMs, now: nowMs }) !== undefined);
  }

  prune(nowMs: number): void {
    this.write(() => this.pruneJti.run(nowMs));
  }
}
