import pg from 'pg';
import type { ExceptionOnFile } from '../clinical/exceptions.js';
import type {
  CardsPerCall,
  ExceptionQuery,
  FeedbackQuery,
  FeedbackRecord,
  IssuedCard,
  RuleActivity,
  SharedState,
  ShownCard,
  Store,
  StoredFeedback,
} from './store.js';
import { StoreUnavailableError } from './store.js';
import {
  EXCEPTION_COLUMNS,
  ISSUED_CARD_COLUMNS,
  exceptionParams,
  feedbackParams,
  filterSql,
  issuedCardParams,
  toException,
  toIssuedCard,
  toRuleActivity,
  toStoredFeedback,
  type ExceptionRow,
  type FeedbackRow,
  type IssuedCardRow,
} from './rows.js';
import { Breaker, clientConfig, createPool, describeUrl, type PostgresConnectionOptions } from './postgres/connection.js';
import { MIGRATION_STATEMENT_TIMEOUT_MS, migrate } from './postgres/schema.js';

/**
 * The server store: PostgreSQL through a bounded node-postgres pool, shared by
 * every instance behind a load balancer and every worker process. Everything
 * an instance must agree on with the others is here, nothing in process
 * memory: issued cards (committed before the hook response, so feedback to
 * another instance finds them), feedback, exceptions on file (queried on each
 * hook call through an index: no per-process cache that could go stale), the
 * audit queries, the JWT replay cache and the rate-limit buckets.
 *
 * Issued cards that cannot be committed (database away) are kept here and
 * retried every second, so the advice is never taken away; feedback is one
 * transaction, acknowledged only once committed (synchronous_commit).
 */
export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /** Longest wait for the database at start-up (retried every half second) before giving up. */
  readonly startupWaitMs: number;
  readonly onIssuedCardsError?: (error: StoreUnavailableError, pending: number) => void;
  /** Told while start-up waits for the database, and when an idle connection fails. */
  readonly onWarning?: (message: string) => void;
}

const RETRY_MS = 1000;
const MAX_PENDING = 10_000;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const warn = options.onWarning ?? (() => undefined);
  const deadline = Date.now() + options.startupWaitMs;
  // Start-up: the database may be unreachable or slow for a while (retried until PG_STARTUP_WAIT_MS), then the schema is
  // migrated on a connection of its own (a migration statement may outlast a request's statement timeout).
  for (;;) {
    const client = new pg.Client(clientConfig(options, MIGRATION_STATEMENT_TIMEOUT_MS));
    client.on('error', () => undefined);
    try {
      await client.connect();
      await migrate(client, Math.max(1000, deadline - Date.now()));
      await client.end();
      break;
    } catch (e) {
      await client.end().catch(() => undefined);
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof StoreUnavailableError) throw e;
      if (Date.now() >= deadline) throw new StoreUnavailableError(`PostgreSQL at ${describeUrl(options.url)} could not be used within ${options.startupWaitMs} ms (PG_STARTUP_WAIT_MS): ${message}`);
      warn(`waiting for PostgreSQL at ${describeUrl(options.url)}: ${message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const pool = createPool(options, (m) => warn(`PostgreSQL connection lost: ${m}`));
  return new PostgresStore(pool, options.onIssuedCardsError ?? (() => undefined));
}

const CARD_TYPES = ISSUED_CARD_COLUMNS.map((c) => (c === 'issued_at' || c === 'expires_at' ? 'bigint[]' : 'text[]'));
const INSERT_CARDS = `INSERT INTO issued_card (${ISSUED_CARD_COLUMNS.join(', ')})
  SELECT * FROM unnest(${CARD_TYPES.map((t, i) => `$${i + 1}::${t}`).join(', ')}) ON CONFLICT (uuid) DO NOTHING`;
const INSERT_EXCEPTION = `INSERT INTO exception_on_file (${EXCEPTION_COLUMNS.join(', ')}) VALUES (${EXCEPTION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (id) DO NOTHING`;
const INSERT_FEEDBACK = `INSERT INTO feedback (card_uuid, service_id, rule_id, patient_id, user_id, outcome, outcome_timestamp, accepted_suggestions,
    reason_system, reason_code, reason_display, user_comment, received_at, dedup_key)
  SELECT uuid, $2, rule_id, patient_id, user_id, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM issued_card WHERE uuid = $1
  ON CONFLICT (dedup_key) DO NOTHING`;

class PostgresStore implements Store, SharedState {
  readonly kind = 'postgres' as const;
  private readonly breaker = new Breaker();
  /** Issued cards whose commit failed (database away), retried every second. */
  private readonly pending = new Map<string, IssuedCard>();
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onIssuedCardsError: (error: StoreUnavailableError, pending: number) => void,
  ) {}

  get shared(): SharedState {
    return this;
  }

  async recordIssuedCards(cards: readonly IssuedCard[]): Promise<void> {
    if (cards.length === 0) return;
    try {
      await this.query(INSERT_CARDS, cardArrays(cards));
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      for (const c of cards) this.pending.set(c.uuid, c);
      this.dropOldest();
      this.onIssuedCardsError(e, this.pending.size);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retryPending();
    }, RETRY_MS).unref();
  }

  private async retryPending(): Promise<void> {
    const cards = [...this.pending.values()];
    if (cards.length === 0 || this.closed) return;
    try {
      await this.query(INSERT_CARDS, cardArrays(cards));
      for (const c of cards) this.pending.delete(c.uuid);
    } catch (e) {
      // A card the database refuses (not a database that is away) is dropped alone: the others are written one by one.
      if (!(e instanceof StoreUnavailableError)) await this.writeOneByOne(cards);
      this.onIssuedCardsError(e instanceof StoreUnavailableError ? e : new StoreUnavailableError(`Issued cards could not be written (${(e as Error).name})`), this.pending.size);
      if (this.pending.size > 0) this.scheduleRetry();
    }
  }

  private async writeOneByOne(cards: readonly IssuedCard[]): Promise<void> {
    for (const c of cards) {
      try {
        await this.query(INSERT_CARDS, cardArrays([c]));
        this.pending.delete(c.uuid);
      } catch (e) {
        if (e instanceof StoreUnavailableError) return;
        this.pending.delete(c.uuid);
      }
    }
  }

  private dropOldest(): void {
    for (const uuid of this.pending.keys()) {
      if (this.pending.size <= MAX_PENDING) break;
      this.pending.delete(uuid);
    }
  }

  async findIssuedCard(uuid: string): Promise<IssuedCard | undefined> {
    const waiting = this.pending.get(uuid);
    if (waiting) return waiting;
    const row = (await this.query<IssuedCardRow>('SELECT * FROM issued_card WHERE uuid = $1', [uuid])).rows[0];
    return row && toIssuedCard(row);
  }

  async recordFeedback(records: readonly FeedbackRecord[], exceptions: readonly ExceptionOnFile[] = []): Promise<{ stored: number; duplicates: number }> {
    // Cards this feedback refers to that are still waiting for their retry are committed with it.
    const waiting = records.map((r) => this.pending.get(r.cardUuid)).filter((c): c is IssuedCard => c !== undefined);
    const stored = await this.transaction(async (client) => {
      if (waiting.length > 0) await client.query(INSERT_CARDS, withoutNul(cardArrays(waiting)));
      for (const e of exceptions) {
        const p = exceptionParams(e);
        await client.query(INSERT_EXCEPTION, withoutNul(EXCEPTION_COLUMNS.map((c) => p[c])));
      }
      let n = 0;
      for (const r of records) {
        const p = feedbackParams(r);
        const result = await client.query(INSERT_FEEDBACK, withoutNul([
          p.card_uuid,
          p.service_id,
          p.outcome,
          p.outcome_timestamp,
          p.accepted_suggestions,
          p.reason_system,
          p.reason_code,
          p.reason_display,
          p.user_comment,
          p.received_at,
          p.dedup_key,
        ]));
        n += result.rowCount ?? 0;
      }
      return n;
    });
    for (const c of waiting) this.pending.delete(c.uuid);
    return { stored, duplicates: records.length - stored };
  }

  async listFeedback(query: FeedbackQuery): Promise<StoredFeedback[]> {
    const { sql, values } = positional(query, 'outcome_timestamp', (where) => `SELECT * FROM feedback ${where} ORDER BY outcome_timestamp, id LIMIT @limit`);
    return (await this.query<FeedbackRow>(sql, values)).rows.map(toStoredFeedback);
  }

  async listExceptions(query: ExceptionQuery): Promise<ExceptionOnFile[]> {
    const { sql, values } = positional(query, 'created_at', (where) => `SELECT * FROM exception_on_file ${where} ORDER BY created_at, id LIMIT @limit`);
    return (await this.query<ExceptionRow>(sql, values)).rows.map(toException);
  }

  async ruleActivity(from: Date, to: Date): Promise<RuleActivity[]> {
    const range = [from.getTime(), to.getTime()];
    const shown = await this.query<{ rule_id: string; n: number }>('SELECT rule_id, count(*) AS n FROM issued_card WHERE issued_at >= $1 AND issued_at < $2 GROUP BY rule_id', range);
    const outcomes = await this.query<{ rule_id: string; outcome: string; reason_code: string | null; n: number }>(
      `SELECT rule_id, outcome, reason_code, count(DISTINCT card_uuid) AS n FROM feedback
       WHERE outcome_timestamp >= $1 AND outcome_timestamp < $2 GROUP BY rule_id, outcome, reason_code`,
      range,
    );
    return toRuleActivity(shown.rows, outcomes.rows);
  }

  async cardsPerCall(from: Date, to: Date): Promise<CardsPerCall[]> {
    const rows = await this.query<{ service_id: string; calls: number; cards: number; max_per_call: number }>(
      `SELECT service_id, count(*) AS calls, sum(n)::bigint AS cards, max(n) AS max_per_call FROM
         (SELECT service_id, hook_instance, count(*) AS n FROM issued_card WHERE issued_at >= $1 AND issued_at < $2 GROUP BY service_id, hook_instance) per_call
       GROUP BY service_id ORDER BY service_id`,
      [from.getTime(), to.getTime()],
    );
    return rows.rows.map((r) => ({ serviceId: r.service_id, calls: r.calls, cards: r.cards, maxPerCall: r.max_per_call }));
  }

  async cardsShown(query: { readonly patientId: string; readonly serviceId: string; readonly since: Date }): Promise<ShownCard[]> {
    const rows = await this.query<{ rule_id: string; subject: string | null; card_values: string; overridden: boolean | null; accepted: boolean | null; with_reason: boolean | null }>(
      `SELECT c.rule_id, c.subject, c.card_values, bool_or(f.outcome = 'overridden') AS overridden, bool_or(f.outcome = 'accepted') AS accepted,
              bool_or(f.outcome = 'overridden' AND f.reason_code IS NOT NULL) AS with_reason
       FROM issued_card c LEFT JOIN feedback f ON f.card_uuid = c.uuid
       WHERE c.patient_id = $1 AND c.service_id = $2 AND c.issued_at >= $3
       GROUP BY c.uuid, c.rule_id, c.subject, c.card_values`,
      [query.patientId, query.serviceId, query.since.getTime()],
    );
    const shown: ShownCard[] = rows.rows.map((r) => ({
      ruleId: r.rule_id,
      subject: r.subject ?? undefined,
      values: JSON.parse(r.card_values) as Record<string, unknown>,
      outcome: r.overridden ? 'overridden' : r.accepted ? 'accepted' : undefined,
      overriddenWithReason: r.with_reason === true,
    }));
    for (const c of this.pending.values()) {
      if (c.patientId === query.patientId && c.serviceId === query.serviceId && c.issuedAt >= query.since) {
        shown.push({ ruleId: c.ruleId, subject: c.subject, values: c.values, outcome: undefined, overriddenWithReason: false });
      }
    }
    return shown;
  }

  async pruneExpiredCards(now: Date): Promise<number> {
    await this.query('DELETE FROM jti_seen WHERE expires_at < $1', [now.getTime()]);
    const result = await this.query(
      'DELETE FROM issued_card c WHERE c.expires_at < $1 AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = c.uuid)',
      [now.getTime()],
    );
    return result.rowCount ?? 0;
  }

  async rememberJti(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    const result = await this.query(
      `INSERT INTO jti_seen (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE jti_seen.expires_at < $3
       RETURNING key`,
      [key, expiresAtMs, nowMs],
    );
    return result.rowCount === 1;
  }

  async takeToken(key: string, capacity: number, perMs: number, nowMs: number): Promise<boolean> {
    const result = await this.query(
      `INSERT INTO rate_bucket AS b (key, tokens, at) VALUES ($1, $2::double precision - 1, $3)
       ON CONFLICT (key) DO UPDATE SET
         tokens = LEAST($2::double precision, b.tokens + GREATEST(0, $3 - b.at) * $4::double precision) - 1,
         at = GREATEST(b.at, $3)
       WHERE LEAST($2::double precision, b.tokens + GREATEST(0, $3 - b.at) * $4::double precision) >= 1
       RETURNING tokens`,
      [key, capacity, nowMs, perMs],
    );
    return result.rowCount === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.pending.size > 0) await this.retryPending().catch(() => undefined);
    this.closed = true;
    await this.pool.end();
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
    this.breaker.check();
    if (this.closed) throw new StoreUnavailableError('Storage is unavailable (closed)');
    try {
      return await this.pool.query<R>(sql, withoutNul(values));
    } catch (e) {
      throw this.breaker.fail(e);
    }
  }

  /** One transaction on one connection; any failure rolls it back and nothing is written. */
  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.breaker.check();
    if (this.closed) throw new StoreUnavailableError('Storage is unavailable (closed)');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.breaker.fail(e);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      // The connection may be broken: it is closed rather than returned to the pool.
      client.release(true);
      throw this.breaker.fail(e);
    }
  }
}

/**
 * PostgreSQL text cannot hold U+0000, which a client may put in a comment or a token id (SQLite keeps it): it is stored as
 * U+FFFD, so that such input is stored (as in SQLite) rather than refused with a 500.
 */
function withoutNul(values: readonly unknown[]): unknown[] {
  const clean = (v: unknown): unknown => (typeof v === 'string' ? (v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v) : Array.isArray(v) ? v.map(clean) : v);
  return values.map(clean);
}

/** The issued cards as one array per column, for the unnest insert (one statement whatever the number of cards). */
function cardArrays(cards: readonly IssuedCard[]): unknown[][] {
  const rows = cards.map(issuedCardParams);
  return ISSUED_CARD_COLUMNS.map((c) => rows.map((r) => r[c]));
}

/** The audit filters (written with @names) as PostgreSQL's $n parameters. */
function positional(query: FeedbackQuery & ExceptionQuery, timeColumn: string, statement: (where: string) => string): { sql: string; values: unknown[] } {
  const { where, params } = filterSql(query, timeColumn);
  const names: string[] = [];
  const sql = statement(where).replace(/@(\w+)/g, (_, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return `$${i + 1}`;
  });
  return { sql, values: names.map((n) => params[n]) };
}
