import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting of the service, read from the environment once and validated.
 * A bad value stops start-up with a message naming the variable. Documented in
 * README.md ("Configuration") and .env.example.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['true', '1', 'on', 'yes'].includes(v));

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { error: (issue) => `must be development, production or test (got '${String(issue.input)}')` })
    .default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_BASE_URL: z.string().url().optional(),
  CDS_AUTH: z.enum(['required', 'off']).default('required'),
  CDS_CLIENTS: z.string().min(1).optional(),
  CDS_JWT_ALGORITHMS: z.string().default('ES384,RS384'),
  CDS_JWT_MAX_LIFETIME_SECONDS: positiveInt.default(300),
  CDS_JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  DATA_DIR: z.string().min(1).default('data'),
  RULES_DIR: z.string().min(1).default('rules'),
  CARDS_DIR: z.string().min(1).default('cards'),
  CORS_ORIGINS: z.string().default('*'),
  PREFETCH_TIMEOUT_MS: positiveInt.default(2000),
  PREFETCH_MAX_PAGES: positiveInt.default(5),
  PREFETCH_MAX_BYTES: positiveInt.default(20 * 1024 * 1024),
  HOOK_BUDGET_MS: positiveInt.default(4000),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'like 1mb or 512kb').default('1mb'),
  FEEDBACK_CARD_TTL_DAYS: positiveInt.default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CDS_DEBUG: booleanFlag.default(false),
  ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  CDS_RATE_LIMIT_PER_MINUTE: positiveInt.default(60_000),
  DEMO: z.enum(['auto', 'on', 'off']).default('auto'),
  APP_FHIR_SERVERS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'a comma-separated list of http(s) FHIR base URLs'))),
  PDMP_URL: z.string().url().default('https://www.cdc.gov/overdose-prevention/hcp/clinical-guidance/prescription-drug-monitoring-programs.html'),
  MME_FACTOR_SETS: z.string().default('mme-factors-cdc-2022'),
  CRISIS_URL: z.string().url().default('https://988lifeline.org/'),
  // The value is never echoed in a message: it holds the database password.
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^postgres(ql)?:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), 'must be a postgres:// or postgresql:// URL (value not shown: it may hold a password)'),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  PG_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  PG_STARTUP_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  PG_SSL: z.enum(['off', 'require', 'verify-full']).default('off'),
  PG_SSL_CA: z.string().min(1).optional(),
  WORKERS: z
    .string()
    .default('1')
    .refine((v) => v === 'auto' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 64), 'auto, or a whole number from 1 to 64')
    .transform((v) => (v === 'auto' ? os.availableParallelism() : Number(v))),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  /** NODE_ENV=production: the development key is never trusted. */
  readonly production: boolean;
  /** The requested port (0: any free one) until main.ts has bound it; then the bound one (see withBoundPort). */
  readonly port: number;
  readonly host: string;
  /** Base URL clients use to reach this service; JWT `aud` is checked against it. */
  readonly publicBaseUrl: string;
  /** True when PUBLIC_BASE_URL is not set and publicBaseUrl is derived from HOST and PORT. */
  readonly publicBaseUrlDerived: boolean;
  readonly auth: {
    readonly mode: 'required' | 'off';
    /** Path to the trusted-clients file; absent means local development mode. */
    readonly clientsFile: string | undefined;
    readonly algorithms: readonly string[];
    readonly maxLifetimeSeconds: number;
    readonly clockSkewSeconds: number;
    /** Requests per minute allowed to each CDS client (issuer). */
    readonly rateLimitPerMinute: number;
  };
  readonly dataDir: string;
  readonly rulesDir: string;
  readonly cardsDir: string;
  /** `*` or a list of exact origins. */
  readonly corsOrigins: '*' | readonly string[];
  readonly prefetch: { readonly timeoutMs: number; readonly maxPages: number; readonly maxBodyBytes: number };
  readonly hookBudgetMs: number;
  readonly bodyLimit: string;
  readonly feedbackCardTtlDays: number;
  readonly logLevel: Env['LOG_LEVEL'];
  /** Allows `?debug=rules` traces in responses. Never enable in production. */
  readonly debug: boolean;
  readonly adminToken: string | undefined;
  readonly shutdownGraceMs: number;
  /** Demo EHR (FHIR server, SMART authorization, order screen): `auto` = on in local development mode only. */
  readonly demo: 'auto' | 'on' | 'off';
  /** FHIR servers the SMART app's summary call may read from (the EHR's FHIR base URLs). */
  readonly appFhirServers: readonly string[];
  /** Link on the PDMP card: the state PDMP's address. */
  readonly pdmpUrl: string;
  /** Knowledge tables of MME factors, in order of preference (the first that has a factor wins). */
  readonly mmeFactorSets: readonly string[];
  /** Link on the self-harm card: the site's crisis pathway (default: the US 988 Suicide & Crisis Lifeline). */
  readonly crisisUrl: string;
  /** Where records and shared state live: the SQLite file in dataDir (default), or PostgreSQL (DATABASE_URL). */
  readonly database: DatabaseConfig;
  /** Processes serving on this host (node:cluster); more than one shares the store's state (SQLite file or PostgreSQL). */
  readonly workers: number;
}

export type DatabaseConfig =
  | { readonly kind: 'sqlite' }
  | {
      readonly kind: 'postgres';
      /** Holds the password: never logged (use describeUrl). */
      readonly url: string;
      readonly poolMax: number;
      readonly statementTimeoutMs: number;
      readonly connectTimeoutMs: number;
      readonly startupWaitMs: number;
      readonly ssl: 'off' | 'require' | 'verify-full';
      readonly sslCaFile?: string;
    };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && e.CDS_AUTH === 'off') {
    throw new ConfigError('Invalid configuration:\n  CDS_AUTH: off is refused in production (NODE_ENV=production): it would trust every caller without a token');
  }
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? derivedBaseUrl(e.HOST, e.PORT)).replace(/\/+$/, '');
  const algorithms = e.CDS_JWT_ALGORITHMS.split(',').map((a) => a.trim()).filter(Boolean);
  const forbidden = algorithms.filter((a) => a === 'none' || a.startsWith('HS'));
  if (forbidden.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  CDS_JWT_ALGORITHMS: ${forbidden.join(', ')} can never be trusted`);
  }
  if (e.PG_SSL_CA !== undefined && (e.PG_SSL !== 'verify-full' || !fs.existsSync(e.PG_SSL_CA))) {
    throw new ConfigError(`Invalid configuration:\n  PG_SSL_CA: ${e.PG_SSL !== 'verify-full' ? 'only used with PG_SSL=verify-full' : `no such file ${e.PG_SSL_CA}`}`);
  }
  if ((e.PG_SSL !== 'off' || e.PG_SSL_CA) && !e.DATABASE_URL) {
    throw new ConfigError('Invalid configuration:\n  PG_SSL: set only with DATABASE_URL (PostgreSQL)');
  }
  if (e.DEMO === 'on' && e.WORKERS > 1) {
    throw new ConfigError('Invalid configuration:\n  DEMO: the demo EHR keeps its patients and logins in one process; use WORKERS=1 with it');
  }
  if (e.DEMO === 'on' && (e.NODE_ENV === 'production' || e.CDS_CLIENTS)) {
    throw new ConfigError('Invalid configuration:\n  DEMO: the demo EHR runs only in local development mode (no CDS_CLIENTS, not production)');
  }
  return {
    production: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl,
    publicBaseUrlDerived: e.PUBLIC_BASE_URL === undefined,
    auth: {
      mode: e.CDS_AUTH,
      clientsFile: e.CDS_CLIENTS,
      algorithms,
      maxLifetimeSeconds: e.CDS_JWT_MAX_LIFETIME_SECONDS,
      clockSkewSeconds: e.CDS_JWT_CLOCK_SKEW_SECONDS,
      rateLimitPerMinute: e.CDS_RATE_LIMIT_PER_MINUTE,
    },
    dataDir: path.resolve(e.DATA_DIR),
    rulesDir: path.resolve(e.RULES_DIR),
    cardsDir: path.resolve(e.CARDS_DIR),
    corsOrigins: e.CORS_ORIGINS.trim() === '*' ? '*' : e.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    prefetch: { timeoutMs: e.PREFETCH_TIMEOUT_MS, maxPages: e.PREFETCH_MAX_PAGES, maxBodyBytes: e.PREFETCH_MAX_BYTES },
    hookBudgetMs: e.HOOK_BUDGET_MS,
    bodyLimit: e.BODY_LIMIT,
    feedbackCardTtlDays: e.FEEDBACK_CARD_TTL_DAYS,
    logLevel: e.LOG_LEVEL,
    debug: e.CDS_DEBUG,
    adminToken: e.ADMIN_TOKEN,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    demo: e.DEMO,
    appFhirServers: e.APP_FHIR_SERVERS,
    pdmpUrl: e.PDMP_URL,
    mmeFactorSets: e.MME_FACTOR_SETS.split(',').map((s) => s.trim()).filter(Boolean),
    crisisUrl: e.CRISIS_URL,
    database: e.DATABASE_URL
      ? {
          kind: 'postgres',
          url: e.DATABASE_URL,
          poolMax: e.PG_POOL_MAX,
          statementTimeoutMs: e.PG_STATEMENT_TIMEOUT_MS,
          connectTimeoutMs: e.PG_CONNECT_TIMEOUT_MS,
          startupWaitMs: e.PG_STARTUP_WAIT_MS,
          ssl: e.PG_SSL,
          ...(e.PG_SSL_CA ? { sslCaFile: path.resolve(e.PG_SSL_CA) } : {}),
        }
      : { kind: 'sqlite' },
    workers: e.WORKERS,
  };
}

/** PUBLIC_BASE_URL's default: the listening address (an IPv6 address in brackets). */
function derivedBaseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The configuration once the server is listening: the port actually bound (PORT=0 picks a
 * free one), and PUBLIC_BASE_URL's default built from it, so the banner, the JWT audience and
 * the demo EHR name the real address. An explicit PUBLIC_BASE_URL is kept as it is.
 */
export function withBoundPort(config: Config, port: number): Config {
  if (port === config.port) return config;
  return { ...config, port, publicBaseUrl: config.publicBaseUrlDerived ? derivedBaseUrl(config.host, port) : config.publicBaseUrl };
}

/**
 * Reads `file` (default `.env` in the working directory) into process.env when it exists;
 * variables already set in the environment win. Returns the path read, or undefined.
 */
export function loadEnvFile(file = '.env'): string | undefined {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) return undefined;
  try {
    process.loadEnvFile(absolute);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(`Invalid configuration:\n  ${absolute} exists but cannot be read (${reason}); fix it or remove it`);
  }
  return absolute;
}
