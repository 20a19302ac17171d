import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createClientTrust } from '../../src/cds/auth/client-trust.js';
import { loadTrustedClients } from '../../src/cds/auth/clients-file.js';
import { painDomain } from '../../src/clinical/domain.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { RuleRuntime } from '../../src/rules/runtime.js';
import { services } from '../../src/services/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestClient, type TestClient } from './client.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const PUBLIC_BASE_URL = 'https://cds.test.example';

export interface TestService {
  readonly app: Express;
  readonly request: supertest.Agent;
  readonly config: Config;
  readonly store: Store;
  readonly rules: RuleRuntime<unknown>;
  readonly clients: { es: TestClient; rs: TestClient };
  readonly dataDir: string;
  /** A valid token from the ES384 client for an endpoint path like `/cds-services/x`. */
  token(endpointPath: string, client?: TestClient): Promise<string>;
  close(): void;
}

export interface TestServiceOptions {
  readonly env?: Record<string, string>;
  readonly rulesDir?: string;
  readonly cardsDir?: string;
  readonly now?: () => Date;
  readonly logs?: string[];
}

/** The real app (real rules, real SQLite file, real JWT checks) on a temp data folder. */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-test-'));
  const es = await createTestClient('ES384');
  const rs = await createTestClient('RS384');
  const clientsFile = path.join(dataDir, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify({ clients: [es, rs].map((c) => ({ iss: c.iss, jwks: { keys: [c.publicJwk] } })) }));
  const config = loadConfig({
    PUBLIC_BASE_URL,
    CDS_CLIENTS: clientsFile,
    DATA_DIR: dataDir,
    RULES_DIR: options.rulesDir ?? path.join(REPO_ROOT, 'rules'),
    CARDS_DIR: options.cardsDir ?? path.join(REPO_ROOT, 'cards'),
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logs = options.logs;
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs?.push(line) });
  const rules = RuleRuntime.load({ rulesDir: config.rulesDir, cardsDir: config.cardsDir }, painDomain(config), services.map((s) => s.definition.id));
  const store = openSqliteStore({ dataDir });
  const verifier =
    config.auth.mode === 'off'
      ? undefined
      : createClientTrust({
          clients: loadTrustedClients(clientsFile),
          algorithms: [...config.auth.algorithms],
          maxLifetimeSeconds: config.auth.maxLifetimeSeconds,
          clockSkewSeconds: config.auth.clockSkewSeconds,
        });
  const app = createApp({ config, engine: rules, store, verifier, logger, now: options.now, health: () => rules.health() });
  return {
    app,
    request: supertest.agent(app),
    config,
    store,
    rules: rules as RuleRuntime<unknown>,
    clients: { es, rs },
    dataDir,
    token: (endpointPath, client = es) => client.token(`${PUBLIC_BASE_URL}${endpointPath}`),
    close() {
      store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
