import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../store.js';

/**
 * The SQLite file: opened without touching a file that is not ours, stamped
 * with an application id, and migrated through numbered schema versions
 * (MIGRATIONS, recorded in `user_version`). A foreign, corrupt or newer file
 * is refused and left as it is. WAL journal, full sync on commit.
 */
/** How long a foreground write (feedback) waits for a lock held by another connection before answering 503. */
export const BUSY_TIMEOUT_MS = 2000;

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
  // 3: who was shown a card and for which order (names in exception texts; no repeat at signature)
  `ALTER TABLE issued_card ADD COLUMN user_name TEXT;
   ALTER TABLE issued_card ADD COLUMN subject TEXT;
   ALTER TABLE exception_on_file ADD COLUMN user_name TEXT;
   CREATE INDEX issued_card_patient ON issued_card(patient_id, issued_at);`,
  // 4: state shared by several processes on one file (WORKERS > 1): the JWT replay cache and the rate-limit buckets
  `CREATE TABLE jti_seen (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
   CREATE INDEX jti_seen_expiry ON jti_seen(expires_at);
   CREATE TABLE rate_bucket (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at INTEGER NOT NULL);`,
  // 5: the repeat check at signature looks up one patient's cards of one service, and their feedback, by index
  //    (before, it walked all of the patient's cards and scanned the feedback table once per card)
  `CREATE INDEX issued_card_patient_service ON issued_card(patient_id, service_id, issued_at);
   DROP INDEX issued_card_patient;
   CREATE INDEX feedback_card ON feedback(card_uuid);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating if needed) the database file in `dataDir`, or an in-memory database for ':memory:'. */
export function openDatabase(options: { readonly dataDir: string; readonly fileName?: string }): Database.Database {
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
export function migrate(db: Database.Database): void {
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

