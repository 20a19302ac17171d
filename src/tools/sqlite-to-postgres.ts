import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadConfig, loadEnvFile } from '../config.js';
import { EXCEPTION_COLUMNS, FEEDBACK_COLUMNS, ISSUED_CARD_COLUMNS } from '../store/rows.js';
import { describeUrl, sslOptions } from '../store/postgres/connection.js';
import { openPostgresStore } from '../store/postgres-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';

/**
 * Moves an SQLite deployment to PostgreSQL:
 *
 *   DATABASE_URL=postgres://... npm run db:sqlite-to-postgres            (DATA_DIR's file)
 *   DATABASE_URL=postgres://... npm run db:sqlite-to-postgres -- FILE    (another file)
 *
 * Copies the issued cards (feedback refers to them), the exceptions on file
 * and the feedback (the audit records) in one PostgreSQL transaction: all or
 * nothing. Rows already there are skipped, so running it again copies only
 * what is new (feedback by its deduplication key; its numeric ids are the new
 * database's own). The SQLite file is first brought to the current schema, as
 * starting the service would, then only read. Stop the service (or every
 * instance) first, so that nothing is written to the file meanwhile.
 */
export interface CopyResult {
  readonly issuedCards: { read: number; copied: number };
  readonly exceptions: { read: number; copied: number };
  readonly feedback: { read: number; copied: number };
}

const BATCH = 500;

export async function copySqliteToPostgres(options: { sqliteFile: string; databaseUrl: string; ssl?: 'off' | 'require' | 'verify-full'; sslCaFile?: string }): Promise<CopyResult> {
  const tls = { ssl: options.ssl ?? 'off', ...(options.sslCaFile ? { sslCaFile: options.sslCaFile } : {}) } as const;
  // The file at the current schema (older files gain their new columns), then read-only.
  const dataDir = path.dirname(options.sqliteFile);
  await openSqliteStore({ dataDir, fileName: path.basename(options.sqliteFile) }).close();
  // The PostgreSQL schema, created or migrated under the advisory lock.
  await (await openPostgresStore({ url: options.databaseUrl, poolMax: 1, connectTimeoutMs: 5000, statementTimeoutMs: 60_000, startupWaitMs: 5000, ...tls })).close();

  const source = new Database(options.sqliteFile, { readonly: true, fileMustExist: true });
  const target = new pg.Client({ connectionString: options.databaseUrl, ssl: sslOptions(tls) });
  await target.connect();
  try {
    await target.query('BEGIN');
    const issuedCards = await copy(source, target, 'issued_card', ISSUED_CARD_COLUMNS, 'uuid', 'ON CONFLICT (uuid) DO NOTHING');
    const exceptions = await copy(source, target, 'exception_on_file', EXCEPTION_COLUMNS, 'created_at, id', 'ON CONFLICT (id) DO NOTHING');
    const feedback = await copy(source, target, 'feedback', FEEDBACK_COLUMNS, 'id', 'ON CONFLICT (dedup_key) DO NOTHING');
    await target.query('COMMIT');
    return { issuedCards, exceptions, feedback };
  } catch (e) {
    await target.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    source.close();
    await target.end();
  }
}

async function copy(source: Database.Database, target: pg.Client, table: string, columns: readonly string[], order: string, conflict: string): Promise<{ read: number; copied: number }> {
  const rows = source.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order}`).raw(true).iterate() as IterableIterator<unknown[]>;
  let read = 0;
  let copied = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch.map((row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
    const result = await target.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ${conflict}`, batch.flat().map(withoutNul));
    copied += result.rowCount ?? 0;
    batch = [];
  };
  for (const row of rows) {
    read++;
    batch.push(row);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return { read, copied };
}

/** PostgreSQL text cannot hold U+0000 (SQLite can): stored as U+FFFD, as the PostgreSQL store does. */
function withoutNul(v: unknown): unknown {
  return typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v;
}

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  if (config.database.kind !== 'postgres') throw new Error('set DATABASE_URL to the PostgreSQL database to copy into');
  const file = path.resolve(process.argv[2] ?? path.join(config.dataDir, 'pain-cds.sqlite'));
  console.log(`copying ${file} into ${describeUrl(config.database.url)} ...`);
  const db = config.database;
  const result = await copySqliteToPostgres({ sqliteFile: file, databaseUrl: db.url, ssl: db.ssl, ...(db.sslCaFile ? { sslCaFile: db.sslCaFile } : {}) });
  for (const [what, n] of Object.entries(result)) console.log(`  ${what}: ${n.read} read, ${n.copied} copied${n.read > n.copied ? ` (${n.read - n.copied} already there)` : ''}`);
  console.log('done: start the service with DATABASE_URL set.');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    console.error(`Cannot copy: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
