import type Database from 'better-sqlite3';
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
import { exceptionParams, feedbackParams, filterSql, issuedCardParams, toRuleActivity, toException, toIssuedCard, toStoredFeedback, type ExceptionRow, type FeedbackRow, type IssuedCardRow } from './rows.js';
import { BUSY_TIMEOUT_MS, migrate, openDatabase } from './sqlite/schema.js';
import { IssuedCardQueue } from './sqlite/issued-card-queue.js';
import { SqliteSharedState } from './sqlite/shared-state.js';

/**
 * The embedded store: one SQLite file (better-sqlite3, schema in
 * sqlite/schema.ts, row mapping in rows.ts, shared with PostgreSQL). Feedback and exceptions
 * are committed with full sync before `recordFeedback` returns, so an
 * acknowledged write survives a crash; issued cards are queued and committed
 * in groups (see recordIssuedCards).
 */
export interface SqliteStoreOptions {
  /** Folder for the database file, or ':memory:'. */
  readonly dataDir: string;
  readonly fileName?: string;
  /** Called when a group commit of issued cards fails (the cards are kept and retried). */
  readonly onIssuedCardsError?: (error: StoreUnavailableError, pending: number) => void;
  /**
   * Several processes use this file (WORKERS > 1): no per-process memory of
   * which patients have exceptions, and the JWT replay cache and rate limits
   * live in the file (`shared`).
   */
  readonly multiProcess?: boolean;
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openDatabase(options);
  migrate(db);
  return new SqliteStore(db, options.onIssuedCardsError ?? (() => undefined), options.multiProcess ?? false);
}

class SqliteStore implements Store {
  private readonly insertCard;
  private readonly selectCard;
  private readonly insertFeedback;
  private readonly deleteExpired;
  private readonly insertException;
  private sync: 'full' | 'normal' = 'full';
  /** Prepared statements of the queries built from filters (a few shapes, each prepared once). */
  private readonly queries = new Map<string, Database.Statement>();
  /** Issued cards not yet committed (see recordIssuedCards). */
  private readonly issuedCards: IssuedCardQueue;
  /**
   * Patients with at least one exception row: most hook calls are for patients
   * without any, and need no query. Only when this process is the only writer
   * of its database file (one service process per DATA_DIR, WORKERS=1).
   */
  private readonly patientsWithExceptions: Set<string> | undefined;
  readonly kind = 'sqlite' as const;
  private readonly sharedState: SqliteSharedState | undefined;
  get shared(): SharedState | undefined {
    return this.sharedState;
  }

  constructor(
    private readonly db: Database.Database,
    onIssuedCardsError: (error: StoreUnavailableError, pending: number) => void,
    private readonly multiProcess: boolean,
  ) {
    this.issuedCards = new IssuedCardQueue((cards, { waitForLock }) => this.commitIssuedCards(cards, waitForLock), onIssuedCardsError, () => this.db.open);
    this.insertCard = db.prepare(
      `INSERT OR IGNORE INTO issued_card (uuid, service_id, rule_id, rule_version, patient_id, user_id, user_name, subject, hook_instance, issued_at, expires_at, suggestion_uuids, card_values)
       VALUES (@uuid, @service_id, @rule_id, @rule_version, @patient_id, @user_id, @user_name, @subject, @hook_instance, @issued_at, @expires_at, @suggestion_uuids, @card_values)`,
    );
    this.selectCard = db.prepare('SELECT * FROM issued_card WHERE uuid = ?');
    this.insertFeedback = db.prepare(
      `INSERT OR IGNORE INTO feedback (card_uuid, service_id, rule_id, patient_id, user_id, outcome, outcome_timestamp, accepted_suggestions,
         reason_system, reason_code, reason_display, user_comment, received_at, dedup_key)
       SELECT uuid, @service_id, rule_id, patient_id, user_id, @outcome, @outcome_timestamp, @accepted_suggestions,
         @reason_system, @reason_code, @reason_display, @user_comment, @received_at, @dedup_key
       FROM issued_card WHERE uuid = @card_uuid`,
    );
    this.insertException = db.prepare(
      `INSERT OR IGNORE INTO exception_on_file (id, patient_id, topic, rule_id, reason_code, reason_display, user_id, user_name, source, created_at, expires_at, justified, comment, card_uuid)
       VALUES (@id, @patient_id, @topic, @rule_id, @reason_code, @reason_display, @user_id, @user_name, @source, @created_at, @expires_at, @justified, @comment, @card_uuid)`,
    );
    this.deleteExpired = db.prepare(
      'DELETE FROM issued_card WHERE expires_at < ? AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = issued_card.uuid)',
    );
    this.sharedState = multiProcess ? new SqliteSharedState(db, (fn) => this.write(fn, 'normal')) : undefined;
    // With several processes on one file another one may file an exception: no memory of it here, the (indexed) query runs.
    this.patientsWithExceptions = multiProcess ? undefined : new Set((db.prepare('SELECT DISTINCT patient_id FROM exception_on_file').all() as { patient_id: string }[]).map((r) => r.patient_id));
  }

  /**
   * Issued cards are written on every hook call, so they are committed in
   * groups (a few milliseconds later, in one transaction) and without waiting
   * for the disk (WAL, synchronous=NORMAL). A process crash may lose the last
   * few milliseconds of them, and a power cut the last ones committed: their
   * feedback would then be refused as unknown. Feedback and exceptions are
   * never deferred and always wait for the disk; feedback commits the waiting
   * cards in its own transaction.
   */
  async recordIssuedCards(cards: readonly IssuedCard[]): Promise<void> {
    this.issuedCards.add(cards);
    // Several processes: the feedback may reach another worker at once, so the cards are committed before the answer
    // (still without waiting for the disk; on a lock held too long they stay queued and are retried).
    if (this.multiProcess) this.issuedCards.flush({ waitForLock: true });
  }

  /** One group commit of issued cards: no full sync, and in the background no wait for a lock held by another connection (the queue retries). */
  private commitIssuedCards(cards: readonly IssuedCard[], waitForLock: boolean): void {
    try {
      if (!waitForLock) this.db.pragma('busy_timeout = 0');
      this.write(() => this.insertCards(cards), 'normal');
    } finally {
      if (!waitForLock && this.db.open) this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** Inside a write transaction. */
  private insertCards(cards: readonly IssuedCard[]): void {
    for (const c of cards) this.insertCard.run(issuedCardParams(c));
  }

  async findIssuedCard(uuid: string): Promise<IssuedCard | undefined> {
    const pending = this.issuedCards.find(uuid);
    if (pending) return pending;
    const row = this.read(() => this.selectCard.get(uuid) as IssuedCardRow | undefined);
    return row && toIssuedCard(row);
  }

  async recordFeedback(records: readonly FeedbackRecord[], exceptions: readonly ExceptionOnFile[] = []): Promise<{ stored: number; duplicates: number }> {
    const { result, committedCards } = this.write(() => {
      // The cards this feedback refers to may still be waiting for their group commit.
      const committedCards = this.issuedCards.waiting();
      this.insertCards(committedCards);
      for (const e of exceptions) this.insertException.run(exceptionParams(e));
      let stored = 0;
      for (const r of records) stored += this.insertFeedback.run(feedbackParams(r)).changes;
      return { result: { stored, duplicates: records.length - stored }, committedCards };
    });
    this.issuedCards.forget(committedCards);
    for (const e of exceptions) this.patientsWithExceptions?.add(e.patientId);
    return result;
  }

  async listFeedback(query: FeedbackQuery): Promise<StoredFeedback[]> {
    const { where, params } = filterSql(query, 'outcome_timestamp');
    const sql = `SELECT * FROM feedback ${where} ORDER BY outcome_timestamp, id LIMIT @limit`;
    return this.read(() => this.query(sql).all(params) as FeedbackRow[]).map(toStoredFeedback);
  }

  async listExceptions(query: ExceptionQuery): Promise<ExceptionOnFile[]> {
    if (query.patientId !== undefined && this.patientsWithExceptions && !this.patientsWithExceptions.has(query.patientId)) return [];
    const { where, params } = filterSql(query, 'created_at');
    const sql = `SELECT * FROM exception_on_file ${where} ORDER BY created_at, id LIMIT @limit`;
    return this.read(() => this.query(sql).all(params) as ExceptionRow[]).map(toException);
  }

  async ruleActivity(from: Date, to: Date): Promise<RuleActivity[]> {
    this.issuedCards.flush();
    const range = { from: from.getTime(), to: to.getTime() };
    // Through read(): a locked or closed database is a 503 (StoreUnavailableError), never a 500.
    const { shown, outcomes } = this.read(() => ({
      shown: this.query('SELECT rule_id, count(*) AS n FROM issued_card WHERE issued_at >= @from AND issued_at < @to GROUP BY rule_id').all(range) as { rule_id: string; n: number }[],
      outcomes: this.query(
        `SELECT rule_id, outcome, reason_code, count(DISTINCT card_uuid) AS n FROM feedback
         WHERE outcome_timestamp >= @from AND outcome_timestamp < @to GROUP BY rule_id, outcome, reason_code`,
      ).all(range) as { rule_id: string; outcome: string; reason_code: string | null; n: number }[],
    }));
    return toRuleActivity(shown, outcomes);
  }

  async cardsPerCall(from: Date, to: Date): Promise<CardsPerCall[]> {
    this.issuedCards.flush();
    const rows = this.read(
      () =>
        this.query(
          `SELECT service_id, count(*) AS calls, sum(n) AS cards, max(n) AS max_per_call FROM
             (SELECT service_id, hook_instance, count(*) AS n FROM issued_card WHERE issued_at >= @from AND issued_at < @to GROUP BY service_id, hook_instance)
           GROUP BY service_id ORDER BY service_id`,
        ).all({ from: from.getTime(), to: to.getTime() }) as { service_id: string; calls: number; cards: number; max_per_call: number }[],
    );
    return rows.map((r) => ({ serviceId: r.service_id, calls: r.calls, cards: r.cards, maxPerCall: r.max_per_call }));
  }

  async cardsShown(query: { readonly patientId: string; readonly serviceId: string; readonly since: Date }): Promise<ShownCard[]> {
    const rows = this.read(
      () =>
        this.query(
          `SELECT c.rule_id, c.subject, c.card_values, max(f.outcome = 'overridden') AS overridden, max(f.outcome = 'accepted') AS accepted,
                  max(f.outcome = 'overridden' AND f.reason_code IS NOT NULL) AS with_reason
           FROM issued_card c LEFT JOIN feedback f ON f.card_uuid = c.uuid
           WHERE c.patient_id = @patientId AND c.service_id = @serviceId AND c.issued_at >= @since
           GROUP BY c.uuid`,
        ).all({ patientId: query.patientId, serviceId: query.serviceId, since: query.since.getTime() }) as {
          rule_id: string;
          subject: string | null;
          card_values: string;
          overridden: number | null;
          accepted: number | null;
          with_reason: number | null;
        }[],
    );
    const shown: ShownCard[] = rows.map((r) => ({
      ruleId: r.rule_id,
      subject: r.subject ?? undefined,
      values: JSON.parse(r.card_values) as Record<string, unknown>,
      outcome: r.overridden ? 'overridden' : r.accepted ? 'accepted' : undefined,
      overriddenWithReason: r.with_reason === 1,
    }));
    // Cards still waiting for their group commit have no feedback yet (feedback commits them first).
    for (const c of this.issuedCards.waiting()) {
      if (c.patientId === query.patientId && c.serviceId === query.serviceId && c.issuedAt >= query.since) {
        shown.push({ ruleId: c.ruleId, subject: c.subject, values: c.values, outcome: undefined, overriddenWithReason: false });
      }
    }
    return shown;
  }

  async pruneExpiredCards(now: Date): Promise<number> {
    this.sharedState?.prune(now.getTime());
    return this.write(() => this.deleteExpired.run(now.getTime()).changes);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.issuedCards.flush({ waitForLock: true });
    this.db.close();
  }

  private query(sql: string): Database.Statement {
    let statement = this.queries.get(sql);
    if (!statement) this.queries.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** Runs a write in a transaction; storage failures become StoreUnavailableError (the caller answers 503). */
  private write<T>(fn: () => T, sync: 'full' | 'normal' = 'full'): T {
    return this.read(() => {
      if (sync !== this.sync) {
        this.db.pragma(`synchronous = ${sync.toUpperCase()}`);
        this.sync = sync;
      }
      return this.db.transaction(fn)();
    });
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_') || !this.db.open) throw new StoreUnavailableError(`Storage is unavailable (${code || 'closed'})`);
      throw e;
    }
  }
}

