import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import supertest from 'supertest';
import type { PainKnowledge } from '../../src/clinical/knowledge.js';
import { composeService, type ComposedService } from '../../src/compose.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { RuleRuntime } from '../../src/rules/runtime.js';
import type { Store } from '../../src/store/store.js';
import { freePort } from './ports.js';
import { createTestClient, type TestClient } from './client.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const PUBLIC_BASE_URL = 'https://cds.test.example';

export interface TestService {
  readonly app: Express;
  readonly request: supertest.Agent;
  readonly config: Config;
  readonly store: Store;
  readonly rules: RuleRuntime<PainKnowledge>;
  /** Reloads rules/ and cards/ as the file watcher does (scenarios must pass). */
  readonly reloadRules: ComposedService['reloadRules'];
  readonly clients: { es: TestClient; rs: TestClient };
  readonly dataDir: string;
  /** A valid token from the ES384 client for an endpoint path like `/cds-services/x`. */
  token(endpointPath: string, client?: TestClient): Promise<string>;
  /** POSTs a JSON body (or a raw string) to an endpoint with a fresh valid token, or the one given. */
  post(endpointPath: string, body: unknown, token?: string): Promise<supertest.Response>;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  readonly env?: Record<string, string>;
  readonly now?: () => Date;
  /** Collects every log line of the service. */
  readonly logs?: string[];
  readonly dataDir?: string;
  /** The trusted clients (default: two new ones); two instances of one service trust the same clients. */
  readonly clients?: { es: TestClient; rs: TestClient };
}

/** The real service (real rules, real SQLite file, real JWT checks) on a temp data folder, trusting two test clients. */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-test-'));
  const es = options.clients?.es ?? (await createTestClient('ES384'));
  const rs = options.clients?.rs ?? (await createTestClient('RS384'));
  const clientsFile = path.join(dataDir, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify({ clients: [es, rs].map((c) => ({ iss: c.iss, jwks: { keys: [c.publicJwk] } })) }));
  const config = loadConfig({
    PUBLIC_BASE_URL,
    CDS_CLIENTS: clientsFile,
    DATA_DIR: dataDir,
    RULES_DIR: path.join(REPO_ROOT, 'rules'),
    CARDS_DIR: path.join(REPO_ROOT, 'cards'),
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logs = options.logs ?? [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const service = await composeService(config, logger, { now: options.now });
  const request = supertest.agent(service.app);
  const token = (endpointPath: string, client: TestClient = es) => client.token(`${PUBLIC_BASE_URL}${endpointPath}`);
  return {
    app: service.app,
    request,
    config,
    store: service.store,
    rules: service.rules,
    reloadRules: () => service.reloadRules(),
    clients: { es, rs },
    dataDir,
    token,
    async post(endpointPath, body, given) {
      return request
        .post(endpointPath)
        .set('Authorization', `Bearer ${given ?? (await token(endpointPath))}`)
        .set('Content-Type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    },
    async close() {
      await service.close();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      assertLogsClean(logs);
    },
  };
}

/**
 * Every test service's logs are scanned when it closes: no bearer token or
 * JWT, and none of the patient identifiers and names the tests use, may ever
 * appear in a log line.
 */
export function assertLogsClean(lines: readonly string[]): void {
  const text = lines.join('\n');
  const leaks = [
    /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/.exec(text)?.[0],
    // A token value, or a token field with its value (a path such as `fhirAuthorization.access_token` in a 400 reason is not a leak).
    /good-token|"access_token"\s*:/.exec(text)?.[0],
    /scenario-patient|Test Patient|"patientId"/.exec(text)?.[0],
  ].filter(Boolean);
  if (leaks.length > 0) throw new Error(`log lines leak sensitive data: ${leaks.map((l) => l!.slice(0, 20)).join(', ')}`);
}

/** The service in demo mode (its own FHIR server, SMART server and demo EHR), listening on a free loopback port, as the browser and app tests use it. */
export interface ListeningDemoService {
  readonly base: string;
  readonly service: ComposedService;
  close(): Promise<void>;
}

export async function startDemoService(env: Record<string, string> = {}): Promise<ListeningDemoService> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-demo-'));
  const config = loadConfig({ PORT: String(port), PUBLIC_BASE_URL: base, DATA_DIR: dataDir, RULES_DIR: path.join(REPO_ROOT, 'rules'), CARDS_DIR: path.join(REPO_ROOT, 'cards'), LOG_LEVEL: 'silent', DEMO: 'on', ...env });
  const service = await composeService(config, createLogger(config.logLevel));
  const server = await new Promise<Server>((resolve) => {
    const s = service.app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    base,
    service,
    async close() {
      server.closeAllConnections();
      server.close();
      await service.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
