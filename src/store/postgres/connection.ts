import fs from 'node:fs';
import pg from 'pg';
import { StoreUnavailableError } from '../store.js';

/**
 * The connection pool to PostgreSQL: bounded in size and in every wait (a
 * connection, a statement), BIGINT read as numbers (times in milliseconds fit
 * easily), TLS for a managed database. Failures of the server or the network
 * become StoreUnavailableError; a short circuit breaker makes the calls that
 * follow such a failure fail at once for a moment instead of each waiting out
 * its timeout (hook calls stay fast while the database is away), and the
 * first call after it tries the database again, so the store recovers by itself.
 */
export interface PostgresConnectionOptions {
  readonly url: string;
  readonly poolMax: number;
  /** Longest wait for a connection (from the pool, or a new one to the server). */
  readonly connectTimeoutMs: number;
  /** Longest run of one statement (server side), and of one round trip (client side, a little longer). */
  readonly statementTimeoutMs: number;
  readonly ssl: 'off' | 'require' | 'verify-full';
  /** PEM file of the certificate authority, for verify-full with a private CA. */
  readonly sslCaFile?: string;
  readonly applicationName?: string;
}

const INT8_OID = 20;
/** How long calls fail at once after a connection failure or a timeout. */
const BREAKER_MS = 1000;

/** The settings of every connection: bounded connect and statement waits, TLS, BIGINT as numbers. */
export function clientConfig(options: PostgresConnectionOptions, statementTimeoutMs = options.statementTimeoutMs): pg.ClientConfig {
  return {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 1000,
    keepAlive: true,
    application_name: options.applicationName ?? 'pain-cds',
    ssl: sslOptions(options),
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  };
}

export function createPool(options: PostgresConnectionOptions, onIdleError: (message: string) => void): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(options), max: options.poolMax, idleTimeoutMillis: 30_000 });
  // An idle connection dropped by the server (restart, failover) is removed from the pool; the next query opens a new one.
  pool.on('error', (e) => onIdleError(e.message));
  return pool;
}

/** node-postgres TLS options for PG_SSL (off, require: encrypted, verify-full: encrypted and the server's certificate and name checked). */
export function sslOptions(options: Pick<PostgresConnectionOptions, 'ssl' | 'sslCaFile'>): pg.PoolConfig['ssl'] {
  if (options.ssl === 'off') return false;
  if (options.ssl === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(options.sslCaFile ? { ca: fs.readFileSync(options.sslCaFile, 'utf8') } : {}) };
}

/** The database URL without its password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/** SQLSTATE classes that are the program's or the data's fault (syntax, undefined object, data, integrity): a 500, not a 503. */
const NOT_AVAILABILITY = /^(22|23|42)/;

export class Breaker {
  private downUntil = 0;

  /** Throws at once while the breaker is open. */
  check(): void {
    if (Date.now() < this.downUntil) throw new StoreUnavailableError('Storage is unavailable (PostgreSQL did not answer a moment ago)');
  }

  /** Maps an error of the driver; connection failures and timeouts open the breaker. */
  fail(e: unknown): unknown {
    if (e instanceof StoreUnavailableError) return e;
    const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '';
    if (NOT_AVAILABILITY.test(code)) return e;
    const message = e instanceof Error ? e.message : String(e);
    // Class 08 connection exceptions, 57 admin shutdown / cancel (statement timeout), 53 resources, node socket errors, client timeouts.
    if (!code || /^(08|57|53)/.test(code) || /^E[A-Z]+$/.test(code)) this.downUntil = Date.now() + BREAKER_MS;
    return new StoreUnavailableError(`Storage is unavailable (${code || message.slice(0, 80)})`);
  }
}
