import type pg from 'pg';
import { StoreUnavailableError } from '../store.js';

/**
 * The PostgreSQL schema: numbered migrations recorded in `pain_cds_schema`,
 * applied under a session advisory lock so that several instances starting at
 * once on an empty database migrate it exactly once (the others wait for the
 * lock, then find nothing to do). A database whose schema is newer than this
 * build is refused and left as it is. Times are milliseconds since the epoch
 * (BIGINT), JSON is stored as text: the same rows as the SQLite file, so
 * src/store/rows.ts maps both.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the records (issued cards, feedback, exceptions on file) and the state shared by instances (JWT replay cache, rate limits)
  `CREATE TABLE issued_card (
     uuid TEXT PRIMARY KEY,
     service_id TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     rule_version TEXT NOT NULL,
     patient_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     user_name TEXT,
     subject TEXT,
     hook_instance TEXT NOT NULL,
     issued_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     suggestion_uuids TEXT NOT NULL,
     card_values TEXT NOT NULL
   );
   CREATE INDEX issued_card_expiry ON issued_card(expires_at);
   CREATE INDEX issued_card_rule ON issued_card(rule_id, issued_at);
   CREATE INDEX issued_card_patient ON issued_card(patient_id, issued_at);
   CREATE INDEX issued_card_issued ON issued_card(issued_at);
   CREATE TABLE feedback (
     id BIGSERIAL PRIMARY KEY,
     card_uuid TEXT NOT NULL REFERENCES issued_card(uuid),
     service_id TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     patient_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
     outcome_timestamp BIGINT NOT NULL,
     accepted_suggestions TEXT NOT NULL,
     reason_system TEXT,
     reason_code TEXT,
     reason_display TEXT,
     user_comment TEXT,
     received_at BIGINT NOT NULL,
     dedup_key TEXT NOT NULL UNIQUE
   );
   CREATE INDEX feedback_patient ON feedback(patient_id);
   CREATE INDEX feedback_rule ON feedback(rule_id);
   CREATE INDEX feedback_card ON feedback(card_uuid);
   CREATE TABLE exception_on_file (
     id TEXT PRIMARY KEY,
     patient_id TEXT NOT NULL,
     topic TEXT NOT NULL,
     rule_id TEXT NOT NULL,
     reason_code TEXT NOT NULL,
     reason_display TEXT NOT NULL,
     user_id TEXT NOT NULL,
     user_name TEXT,
     source TEXT NOT NULL CHECK (source IN ('feedback', 'detected-issue')),
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     justified TEXT NOT NULL,
     comment TEXT,
     card_uuid TEXT
   );
   CREATE INDEX exception_patient ON exception_on_file(patient_id, expires_at);
   CREATE TABLE jti_seen (key TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
   CREATE INDEX jti_seen_expiry ON jti_seen(expires_at);
   CREATE TABLE rate_bucket (key TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, at BIGINT NOT NULL);`,
  // 2: the repeat check at signature looks up one patient's cards of one service by index (not all of the patient's cards)
  `CREATE INDEX issued_card_patient_service ON issued_card(patient_id, service_id, issued_at);
   DROP INDEX issued_card_patient;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The advisory lock key of migrations ("PANC" as in the SQLite application id). */
const MIGRATION_LOCK = 0x50414e43;

/** Longest run of one migration statement (a migration may take longer than a request's statement timeout). */
export const MIGRATION_STATEMENT_TIMEOUT_MS = 300_000;

/**
 * Applies pending migrations under the advisory lock; refuses a newer schema. Returns the version found before.
 * Waits at most `lockWaitMs` for another instance's migration (the lock) before giving up with a message saying so.
 */
export async function migrate(client: pg.ClientBase, lockWaitMs: number): Promise<number> {
  await client.query(`SET statement_timeout = ${MIGRATION_STATEMENT_TIMEOUT_MS}; SET lock_timeout = ${Math.max(1, Math.round(lockWaitMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  } catch (e) {
    if ((e as { code?: string }).code === '55P03') {
      throw new StoreUnavailableError(`Another instance held the schema migration lock for over ${lockWaitMs} ms (PG_STARTUP_WAIT_MS); start again once its migration is done.`);
    }
    throw e;
  }
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS pain_cds_schema (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         version INTEGER NOT NULL,
         updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const row = (await client.query<{ version: number }>('SELECT version FROM pain_cds_schema WHERE id = 1')).rows[0];
    const found = row?.version ?? 0;
    if (found > SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `The PostgreSQL database has schema version ${found}, newer than this build knows (${SCHEMA_VERSION}); it was not modified. Run a build at least as new as the one that migrated it, or point DATABASE_URL at another database.`,
      );
    }
    for (let v = found; v < SCHEMA_VERSION; v++) {
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[v]!);
        await client.query(
          `INSERT INTO pain_cds_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version, updated_at = now()`,
          [v + 1],
        );
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
    return found;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.query('RESET statement_timeout; RESET lock_timeout').catch(() => undefined);
  }
}
