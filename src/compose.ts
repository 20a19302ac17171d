import path from 'node:path';
import type express from 'express';
import { createApp, type ClientVerifier } from './app.js';
import { appApiRouter } from './app-api.js';
import { twinApiRouter } from './twin-api.js';
import { nof1ApiRouter } from './nof1-api.js';
import { smartAppRouter } from './smart-app.js';
import { createClientTrust } from './cds/auth/client-trust.js';
import { loadTrustedClients } from './cds/auth/clients-file.js';
import { ensureDevClient, type DevClient } from './cds/auth/dev-client.js';
import { guardPublicTestKeys } from './cds/auth/public-test-keys.js';
import type { DemoEhr } from './sandbox/demo-ehr.js';
import { exceptionPolicy, painDomain } from './pipeline/pain-domain.js';
import type { PainKnowledge } from './clinical/knowledge.js';
import { ConfigError, type Config } from './config.js';
import type { Logger } from './logger.js';
import { RuleRuntime } from './rules/runtime.js';
import { scenarioGate } from './pipeline/scenarios/verify.js';
import type { ReloadResult } from './rules/watch.js';
import type { FileProblem } from './knowledge/problems.js';
import { services } from './services/index.js';
import { openPostgresStore } from './store/postgres-store.js';
import { describeUrl } from './store/postgres/connection.js';
import { openSqliteStore } from './store/sqlite-store.js';
import type { Store, StoreUnavailableError } from './store/store.js';

/**
 * The composition root: builds the service from its configuration. Used by
 * main.ts, the tests and the benchmark, so all three run the same parts.
 */
export interface ComposedService {
  readonly app: express.Express;
  readonly rules: RuleRuntime<PainKnowledge>;
  readonly store: Store;
  /** Set in local development mode (no CDS_CLIENTS): the key the service trusts. */
  readonly devClient?: DevClient;
  /** The demo EHR (FHIR server, SMART authorization, order screen at /ehr/), when demo mode is on. */
  readonly demo?: DemoEhr;
  /** Re-reads rules/ and cards/; the new set serves only if it is valid and every scenario in rules/tests passes. */
  reloadRules(): Promise<ReloadResult>;
  /** Runs every scenario in rules/tests against the serving set (main.ts refuses to start when one fails). */
  checkScenarios(): Promise<readonly FileProblem[]>;
  close(): Promise<void>;
}

export interface ComposeOptions {
  readonly now?: () => Date;
  readonly mount?: readonly { path: string; router: express.Router }[];
}

export async function composeService(config: Config, logger: Logger, options: ComposeOptions = {}): Promise<ComposedService> {
  const rules = RuleRuntime.load({ rulesDir: config.rulesDir, cardsDir: config.cardsDir }, painDomain(config), services.map((s) => s.definition.id));
  // The trust settings are checked before the store is opened (a refused configuration touches nothing).
  const trust = await clientVerifier(config, logger);
  const store = await openStore(config, logger);
  try {
    const devClient = trust.devClient;
    const verifier = trust.make(store);
    const demo = await demoEhr(config, devClient, logger, options.now);
    // What the SMART app's calls share: the service reads the record only from these FHIR servers, with the app's token.
    const appCalls = { config, rules, store, now: options.now ?? (() => new Date()), fhirServers: () => [...config.appFhirServers, ...(demo ? [demo.fhirBaseUrl] : [])] };
    const app = createApp({
      config,
      rules,
      store,
      verifier,
      logger,
      now: options.now,
      mount: [
        ...(demo?.mounts ?? []),
        { path: '/app', router: smartAppRouter() },
        { path: '/app-api/twin', router: twinApiRouter({ rules }) },
        // Before /app-api: its 16 kB body limit would otherwise apply to the trial report uploads.
        { path: '/app-api/nof1', router: nof1ApiRouter(appCalls) },
        { path: '/app-api', router: appApiRouter(appCalls) },
        ...(options.mount ?? []),
      ],
      exceptionFor: exceptionPolicy(rules),
      health: () => ({ ...rules.health(), store: store.kind }),
    });
    const verify = scenarioGate(path.join(config.rulesDir, 'tests'), () => openSqliteStore({ dataDir: ':memory:' }));
    return { app, rules, store, ...(devClient ? { devClient } : {}), ...(demo ? { demo } : {}), reloadRules: () => rules.reload(verify), checkScenarios: () => verify(rules), close: () => store.close() };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** The store the configuration names: PostgreSQL with DATABASE_URL, else the SQLite file in DATA_DIR (shared by the workers when WORKERS > 1). */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  const onIssuedCardsError = (e: StoreUnavailableError, pending: number) =>
    logger.warn({ err: e.message, pending }, 'issued cards could not be recorded yet: storage unavailable; they are kept and retried');
  const db = config.database;
  if (db.kind === 'sqlite') return openSqliteStore({ dataDir: config.dataDir, onIssuedCardsError, multiProcess: config.workers > 1 });
  const store = await openPostgresStore({
    url: db.url,
    poolMax: db.poolMax,
    connectTimeoutMs: db.connectTimeoutMs,
    statementTimeoutMs: db.statementTimeoutMs,
    startupWaitMs: db.startupWaitMs,
    ssl: db.ssl,
    ...(db.sslCaFile ? { sslCaFile: db.sslCaFile } : {}),
    onIssuedCardsError,
    onWarning: (message) => logger.warn({ err: message }, 'PostgreSQL store'),
  });
  logger.info({ database: describeUrl(db.url), poolMax: db.poolMax, statementTimeoutMs: db.statementTimeoutMs, ssl: db.ssl }, 'PostgreSQL store ready');
  return store;
}

/** The demo EHR runs only with the development client (it signs the demo's hook calls) and never in production. */
async function demoEhr(config: Config, devClient: DevClient | undefined, logger: Logger, now?: () => Date): Promise<DemoEhr | undefined> {
  // The demo keeps its patients and logins in one process: with several workers, auto means off.
  const wanted = config.demo === 'on' || (config.demo === 'auto' && devClient !== undefined && config.workers === 1);
  if (!wanted) return undefined;
  if (config.production || !devClient) {
    throw new ConfigError('Invalid configuration:\n  DEMO: the demo EHR needs local development mode (no CDS_CLIENTS, not production)');
  }
  logger.warn('DEMO EHR is on: a sandbox FHIR server with synthetic patients is served at /ehr, /fhir and /smart');
  // Loaded only in demo mode: the in-memory FHIR server's packages are large, and production never needs them.
  const { createDemoEhr } = await import('./sandbox/demo-ehr.js');
  return createDemoEhr({ publicBaseUrl: config.publicBaseUrl, devClient, ...(now ? { now } : {}) });
}

/** Checks the client trust settings; `make` builds the verifier once the store is open (its shared replay cache). */
async function clientVerifier(config: Config, logger: Logger): Promise<{ make: (store: Store) => ClientVerifier | undefined; devClient?: DevClient }> {
  const options = (store: Store) => ({
    algorithms: [...config.auth.algorithms],
    maxLifetimeSeconds: config.auth.maxLifetimeSeconds,
    clockSkewSeconds: config.auth.clockSkewSeconds,
    // Several processes or instances: a token used on one is refused on all (the store's shared replay cache).
    ...(store.shared ? { sharedReplay: store.shared } : {}),
    onSharedUnavailable: (message: string) => logger.warn({ err: message }, 'shared JWT replay cache unavailable: this process remembers token ids on its own until the store is back'),
  });
  if (config.auth.mode === 'off') {
    logger.warn('CDS_AUTH=off: every caller is trusted without a token. Local development only; never in production.');
    return { make: () => undefined };
  }
  if (config.auth.clientsFile) {
    const clients = loadTrustedClients(config.auth.clientsFile);
    guardPublicTestKeys(clients, config.production, (fields, message) => logger.warn(fields, message));
    return { make: (store) => createClientTrust({ clients, ...options(store) }) };
  }
  // No CDS_CLIENTS: local development mode. Trust only a key made for this machine, and never in production.
  if (config.production) {
    throw new ConfigError('Invalid configuration:\n  CDS_CLIENTS: required in production (NODE_ENV=production); the development key is for local use only');
  }
  const devClient = await ensureDevClient(config.dataDir);
  logger.warn({ iss: devClient.iss }, 'CDS_CLIENTS is not set: local development mode, trusting only the development client key in DATA_DIR');
  return { make: (store) => createClientTrust({ clients: [devClient.client], ...options(store) }), devClient };
}
