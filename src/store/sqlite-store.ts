import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ExceptionOnFile } from '../clinical/exceptions.js';
import type {
  ExceptionQuery,
  FeedbackQuery,
  FeedbackRecord,
  IssuedCard,
  RuleActivity,
  Store,
  StoredFeedback,
} from './store.js';
import { StoreUnavailableError } from './store.js';

/**
 * The embedded store: one SQLite file (better-sqlite3), WAL journal, full sync
 * on commit so an acknowledged write survives a crash. Schema versions are the
 * MIGRATIONS array below, applied in order and recorded in `user_version`; the
 * file is stamped with an application id so a foreign SQLite file is refused
 * rather than modified.
 */
const APPLICATION_ID = 0x50414e43; // "PANC"

export const MIGRATIONS: readonly string[] = [
  // 1: issued cards and feedback
  `CREATE TABLE issued_card (
     uuid TEXT PRIMARY KEY,
     service_id TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     rule_version TEXT NOT NULL,
     patient_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     hook_instance TEXT NOT NULL,
     issued_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     suggestion_uuids TEXT NOT NULL,
     card_values TEXT NOT NULL
   );
   CREATE INDEX issued_card_expiry ON issued_card(expires_at);
   CREATE TABLE feedback (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     card_uuid TEXT NOT NULL REFERENCES issued_card(uuid),
     service_id TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     patient_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
     outcome_timestamp INTEGER NOT NULL,
     accepted_suggestions TEXT NOT NULL,
     reason_system TEXT,
     reason_code TEXT,
     reason_display TEXT,
     user_comment TEXT,
     received_at INTEGER NOT NULL,
     dedup_key TEXT NOT NULL UNIQUE
   );
   CREATE INDEX feedback_patient ON feedback(patient_id);
   CREATE INDEX feedback_rule ON feedback(rule_id);`,
  // 2: justified exceptions on file
  `CREATE TABLE exception_on_file (
     id TEXT PRIMARY KEY,
     patient_id TEXT NOT NULL,
     topic TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     reason_code TEXT NOT NULL,
     reason_display TEXT NOT NULL,
     user_id TEXT NOT NULL,
     source TEXT NOT NULL CHECK (source IN ('feedback', 'detected-issue')),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     justified TEXT NOT NULL,
     comment TEXT,
     card_uuid TEXT
   );
   CREATE INDEX exception_patient ON exception_on_file(patient_id, expires_at);
   CREATE INDEX issued_card_rule ON issued_card(rule_id, issued_at);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface SqliteStoreOptions {
  /** Folder for the database file, or ':memory:'. */
  readonly dataDir: string;
  readonly fileName?: string;
  /** Called when a group commit of issued cards fails (the cards are kept and retried). */
  readonly onIssuedCardsError?: (error: StoreUnavailableError, pending: number) => void;
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openDatabase(options);
  migrate(db);
  return new SqliteStore(db, options.onIssuedCardsError ?? (() => undefined));
}

/** Issued cards are committed in groups: at most this long after the call that issued them... */
const ISSUED_CARDS_DELAY_MS = 20;
/** ...or as soon as this many are waiting. */
const ISSUED_CARDS_BATCH = 200;
/** While storage is unavailable, at most this many wait for it; older ones are dropped (their feedback will be refused). */
const ISSUED_CARDS_MAX_PENDING = 10_000;
const ISSUED_CARDS_RETRY_MS = 1000;
/** How long a foreground write (feedback) waits for a lock held by another connection before answering 503. */
const BUSY_TIMEOUT_MS = 2000;

function openDatabase(options: SqliteStoreOptions): Database.Database {
  if (options.dataDir === ':memory:') return new Database(':memory:');
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, options.fileName ?? 'pain-cds.sqlite');
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: false });
    // A read first: a file that is not a SQLite database fails here, before anything is written to it.
    db.pragma('application_id', { simple: true });
  } catch (e) {
    throw new StoreUnavailableError(`Cannot open the database file ${file}: ${(e as Error).message}. It was left as it is.`);
  }
  return db;
}

/** Checks the file is ours (or empty), then sets the journal mode and applies pending migrations. */
function migrate(db: Database.Database): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const hasTables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n > 0;
  if (appId !== APPLICATION_ID && (appId !== 0 || hasTables)) {
    db.close();
    throw new StoreUnavailableError('The database file belongs to another application; it was not modified. Point DATA_DIR elsewhere.');
  }
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new StoreUnavailableError(`The database file has schema version ${version}, newer than this build knows (${SCHEMA_VERSION}); it was not modified.`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

interface IssuedCardRow {
  uuid: string;
  service_id: string;
  rule_id: string;
  rule_version: string;
  patient_id: string;
  user_id: string;
  hook_instance: string;
  issued_at: number;
  expires_at: number;
  suggestion_uuids: string;
  card_values: string;
}

interface FeedbackRow {
  id: number;
  card_uuid: string;
  service_id: string;
  rule_id: string;
  patient_id: string;
  user_id: string;
  outcome: 'accepted' | 'overridden';
  outcome_timestamp: number;
  accepted_suggestions: string;
  reason_system: string | null;
  reason_code: string | null;
  reason_display: string | null;
  user_comment: string | null;
  received_at: number;
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
  /** Issued cards not yet committed, by uuid (see recordIssuedCards). */
  private readonly pendingCards = new Map<string, IssuedCard>();
  private flushTimer: NodeJS.Timeout | undefined;
  /**
   * Patients with at least one exception row: most hook calls are for patients
   * without any, and need no query. This process is the only writer of its
   * database file (one service process per DATA_DIR).
   */
  private readonly patientsWithExceptions: Set<string>;

  constructor(
    private readonly db: Database.Database,
    private readonly onIssuedCardsError: (error: StoreUnavailableError, pending: number) => void,
  ) {
    this.insertCard = db.prepare(
      `INSERT OR IGNORE INTO issued_card (uuid, service_id, rule_id, rule_version, patient_id, user_id, hook_instance, issued_at, expires_at, suggestion_uuids, card_values)
       VALUES (@uuid, @service_id, @rule_id, @rule_version, @patient_id, @user_id, @hook_instance, @issued_at, @expires_at, @suggestion_uuids, @card_values)`,
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
      `INSERT OR IGNORE INTO exception_on_file (id, patient_id, topic, rule_id, reason_code, reason_display, user_id, source, created_at, expires_at, justified, comment, card_uuid)
       VALUES (@id, @patient_id, @topic, @rule_id, @reason_code, @reason_display, @user_id, @source, @created_at, @expires_at, @justified, @comment, @card_uuid)`,
    );
    this.deleteExpired = db.prepare(
      'DELETE FROM issued_card WHERE expires_at < ? AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = issued_card.uuid)',
    );
    this.patientsWithExceptions = new Set((db.prepare('SELECT DISTINCT patient_id FROM exception_on_file').all() as { patient_id: string }[]).map((r) => r.patient_id));
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
  recordIssuedCards(cards: readonly IssuedCard[]): void {
    for (const c of cards) this.pendingCards.set(c.uuid, c);
    if (this.pendingCards.size >= ISSUED_CARDS_BATCH) this.flushInBackground();
    else if (this.pendingCards.size > 0 && !this.flushTimer) this.flushTimer = setTimeout(() => this.flushInBackground(), ISSUED_CARDS_DELAY_MS).unref();
  }

  /**
   * Commits the waiting issued cards. Never throws (it runs from a timer).
   * In the background it does not wait for a lock held by another connection:
   * the cards stay queued and are retried a second later, so a locked
   * database never stalls the hook calls being answered meanwhile.
   */
  private flushInBackground(options: { waitForLock?: boolean } = {}): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingCards.size === 0 || !this.db.open) return;
    try {
      if (!options.waitForLock) this.db.pragma('busy_timeout = 0');
      this.forgetCommitted(this.write(() => this.insertPendingCards(), 'normal'));
    } catch (e) {
      // Storage trouble keeps the cards for the next attempt; anything else
      // means they cannot be written at all, so they are dropped.
      if (!(e instanceof StoreUnavailableError)) this.pendingCards.clear();
      for (const uuid of this.pendingCards.keys()) {
        if (this.pendingCards.size <= ISSUED_CARDS_MAX_PENDING) break;
        this.pendingCards.delete(uuid);
      }
      this.onIssuedCardsError(e instanceof StoreUnavailableError ? e : new StoreUnavailableError(`Issued cards could not be written (${(e as Error).name})`), this.pendingCards.size);
      if (this.pendingCards.size > 0 && this.db.open) this.flushTimer = setTimeout(() => this.flushInBackground(), ISSUED_CARDS_RETRY_MS).unref();
    } finally {
      if (!options.waitForLock && this.db.open) this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** Inside a write transaction: inserts the waiting cards and returns their uuids, to leave the queue once the transaction has committed. */
  private insertPendingCards(): string[] {
    const cards = [...this.pendingCards.values()];
    for (const c of cards) {
        this.insertCard.run({
          uuid: c.uuid,
          service_id: c.serviceId,
          rule_id: c.ruleId,
          rule_version: c.ruleVersion,
          patient_id: c.patientId,
          user_id: c.userId,
          hook_instance: c.hookInstance,
          issued_at: c.issuedAt.getTime(),
          expires_at: c.expiresAt.getTime(),
          suggestion_uuids: JSON.stringify(c.suggestionUuids),
          card_values: JSON.stringify(c.values),
        });
    }
    return cards.map((c) => c.uuid);
  }

  private forgetCommitted(uuids: readonly string[]): void {
    for (const uuid of uuids) this.pendingCards.delete(uuid);
  }

  findIssuedCard(uuid: string): IssuedCard | undefined {
    const pending = this.pendingCards.get(uuid);
    if (pending) return pending;
    const row = this.read(() => this.selectCard.get(uuid) as IssuedCardRow | undefined);
    return row && toIssuedCard(row);
  }

  recordFeedback(records: readonly FeedbackRecord[], exceptions: readonly ExceptionOnFile[] = []): { stored: number; duplicates: number } {
    const { result, committedCards } = this.write(() => {
      // The cards this feedback refers to may still be waiting for their group commit.
      const committedCards = this.insertPendingCards();
      for (const e of exceptions) {
        this.insertException.run({
          id: e.id,
          patient_id: e.patientId,
          topic: e.topic,
          rule_id: e.ruleId,
          reason_code: e.reasonCode,
          reason_display: e.reasonDisplay,
          user_id: e.userId,
          source: e.source,
          created_at: e.createdAt.getTime(),
          expires_at: e.expiresAt.getTime(),
          justified: JSON.stringify(e.justified),
          comment: e.comment ?? null,
          card_uuid: e.cardUuid ?? null,
        });
      }
      let stored = 0;
      for (const r of records) {
        const accepted = [...r.acceptedSuggestions].sort();
        const info = this.insertFeedback.run({
          card_uuid: r.cardUuid,
          service_id: r.serviceId,
          outcome: r.outcome,
          outcome_timestamp: r.outcomeTimestamp.getTime(),
          accepted_suggestions: JSON.stringify(accepted),
          reason_system: r.overrideReason?.system ?? null,
          reason_code: r.overrideReason?.code ?? null,
          reason_display: r.overrideReason?.display ?? null,
          user_comment: r.userComment ?? null,
          received_at: r.receivedAt.getTime(),
          dedup_key: JSON.stringify([r.cardUuid, r.outcome, r.outcomeTimestamp.getTime(), accepted]),
        });
        stored += info.changes;
      }
      return { result: { stored, duplicates: records.length - stored }, committedCards };
    });
    this.forgetCommitted(committedCards);
    for (const e of exceptions) this.patientsWithExceptions.add(e.patientId);
    return result;
  }

  listFeedback(query: FeedbackQuery): StoredFeedback[] {
    const { where, params } = filterSql(query, 'outcome_timestamp');
    const sql = `SELECT * FROM feedback ${where} ORDER BY outcome_timestamp, id LIMIT @limit`;
    return this.read(() => this.query(sql).all(params) as FeedbackRow[]).map(toStoredFeedback);
  }

  listExceptions(query: ExceptionQuery): ExceptionOnFile[] {
    if (query.patientId !== undefined && !this.patientsWithExceptions.has(query.patientId)) return [];
    const { where, params } = filterSql(query, 'created_at');
    const sql = `SELECT * FROM exception_on_file ${where} ORDER BY created_at, id LIMIT @limit`;
    return this.read(() => this.query(sql).all(params) as ExceptionRow[]).map(toException);
  }

  ruleActivity(from: Date, to: Date): RuleActivity[] {
    this.flushInBackground();
    const range = { from: from.getTime(), to: to.getTime() };
    const shown = this.db.prepare('SELECT rule_id, count(*) AS n FROM issued_card WHERE issued_at >= @from AND issued_at < @to GROUP BY rule_id').all(range) as { rule_id: string; n: number }[];
    const outcomes = this.db
      .prepare(
        `SELECT rule_id, outcome, reason_code, count(DISTINCT card_uuid) AS n FROM feedback
         WHERE outcome_timestamp >= @from AND outcome_timestamp < @to GROUP BY rule_id, outcome, reason_code`,
      )
      .all(range) as { rule_id: string; outcome: string; reason_code: string | null; n: number }[];
    const byRule = new Map<string, { ruleId: string; shown: number; accepted: number; overridden: number; reasons: Record<string, number> }>();
    const get = (ruleId: string) => {
      let r = byRule.get(ruleId);
      // reasons has no prototype: a reason code is data from a client and may be "__proto__".
      if (!r) byRule.set(ruleId, (r = { ruleId, shown: 0, accepted: 0, overridden: 0, reasons: Object.create(null) as Record<string, number> }));
      return r;
    };
    for (const s of shown) get(s.rule_id).shown = s.n;
    for (const o of outcomes) {
      const r = get(o.rule_id);
      if (o.outcome === 'accepted') r.accepted += o.n;
      else {
        r.overridden += o.n;
        const key = o.reason_code ?? '(no reason)';
        r.reasons[key] = (r.reasons[key] ?? 0) + o.n;
      }
    }
    return [...byRule.values()].sort((a, b) => a.ruleId.localeCompare(b.ruleId));
  }

  pruneExpiredCards(now: Date): number {
    return this.write(() => this.deleteExpired.run(now.getTime()).changes);
  }

  close(): void {
    if (!this.db.open) return;
    this.flushInBackground({ waitForLock: true });
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

/** WHERE clause and parameters for the audit filters shared by feedback and exceptions. */
function filterSql(query: FeedbackQuery & ExceptionQuery, timeColumn: string): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = { limit: Math.min(query.limit ?? 1000, 10_000) };
  const add = (clause: string, name: string, value: unknown) => {
    if (value === undefined) return;
    clauses.push(clause);
    params[name] = value;
  };
  add('patient_id = @patientId', 'patientId', query.patientId);
  add('rule_id = @ruleId', 'ruleId', query.ruleId);
  add('user_id = @userId', 'userId', query.userId);
  add('topic = @topic', 'topic', query.topic);
  add(`${timeColumn} >= @from`, 'from', query.from?.getTime());
  add(`${timeColumn} < @to`, 'to', query.to?.getTime());
  add('created_at <= @validAt AND expires_at > @validAt', 'validAt', query.validAt?.getTime());
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

interface ExceptionRow {
  id: string;
  patient_id: string;
  topic: string;
  rule_id: string;
  reason_code: string;
  reason_display: string;
  user_id: string;
  source: 'feedback' | 'detected-issue';
  created_at: number;
  expires_at: number;
  justified: string;
  comment: string | null;
  card_uuid: string | null;
}

function toException(row: ExceptionRow): ExceptionOnFile {
  return {
    id: row.id,
    patientId: row.patient_id,
    topic: row.topic,
    ruleId: row.rule_id,
    reasonCode: row.reason_code,
    reasonDisplay: row.reason_display,
    userId: row.user_id,
    source: row.source,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    justified: JSON.parse(row.justified) as Record<string, unknown>,
    ...(row.comment ? { comment: row.comment } : {}),
    ...(row.card_uuid ? { cardUuid: row.card_uuid } : {}),
  };
}

function toIssuedCard(row: IssuedCardRow): IssuedCard {
  return {
    uuid: row.uuid,
    serviceId: row.service_id,
    ruleId: row.rule_id,
    ruleVersion: row.rule_version,
    patientId: row.patient_id,
    userId: row.user_id,
    hookInstance: row.hook_instance,
    issuedAt: new Date(row.issued_at),
    expiresAt: new Date(row.expires_at),
    suggestionUuids: JSON.parse(row.suggestion_uuids) as string[],
    values: JSON.parse(row.card_values) as Record<string, unknown>,
  };
}

function toStoredFeedback(row: FeedbackRow): StoredFeedback {
  return {
    id: row.id,
    cardUuid: row.card_uuid,
    serviceId: row.service_id,
    ruleId: row.rule_id,
    patientId: row.patient_id,
    userId: row.user_id,
    outcome: row.outcome,
    outcomeTimestamp: new Date(row.outcome_timestamp),
    acceptedSuggestions: JSON.parse(row.accepted_suggestions) as string[],
    overrideReason: row.reason_code
      ? { code: row.reason_code, ...(row.reason_system ? { system: row.reason_system } : {}), ...(row.reason_display ? { display: row.reason_display } : {}) }
      : undefined,
    userComment: row.user_comment ?? undefined,
    receivedAt: new Date(row.received_at),
  };
}
