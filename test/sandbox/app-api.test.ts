import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { composeService, type ComposedService } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { REPO_ROOT, startDemoService, startTestService, type ListeningDemoService } from '../helpers/service.js';

/**
 * The SMART app's call to the service (`POST /app-api/summary` with the app's
 * own SMART token) against the demo EHR's FHIR server, and what demo mode
 * serves and refuses to serve.
 */
let service: ComposedService;
let demo: ListeningDemoService;
let base: string;
const tempDirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-app-'));
  tempDirs.push(d);
  return d;
};
const env = (extra: Record<string, string>) => ({ RULES_DIR: path.join(REPO_ROOT, 'rules'), CARDS_DIR: path.join(REPO_ROOT, 'cards'), DATA_DIR: tempDir(), LOG_LEVEL: 'silent', ...extra });

beforeAll(async () => {
  demo = await startDemoService();
  base = demo.base;
  service = demo.service;
});

afterAll(async () => {
  await demo?.close();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

const appToken = (patient: string) => service.demo!.smart.issueAccessToken({ patient, practitioner: 'Practitioner/prac-1', scope: 'launch openid fhirUser patient/*.read', clientId: 'pain-app' });
const summary = (body: unknown, token?: string) =>
  fetch(`${base}/app-api/summary`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

describe('POST /app-api/summary', () => {
  test('answers the same computed picture as the cards, read with the app token', async () => {
    const res = await summary({ fhirServer: `${base}/fhir`, patientId: 'pgx-poor' }, await appToken('pgx-poor'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, Record<string, unknown>> & { overrideReasons: { code: string }[]; exceptions: unknown[] };
    expect(body.cyp2d6!['cyp2d6.phenotype']).toBe('Poor metabolizer');
    expect(body.cyp2d6!['cyp2d6.diplotype']).toBe('*4/*4');
    expect(body.overrideReasons.map((r) => r.code)).toEqual(expect.arrayContaining(['pgx-reviewed', 'stable-long-term']));
    expect(body.exceptions).toEqual([]);

    const stable = (await (await summary({ fhirServer: `${base}/fhir/`, patientId: 'mme-stable-80' }, await appToken('mme-stable-80'))).json()) as {
      mme: Record<string, unknown>;
      history: { months: { month: string; mme: number; complete: boolean }[]; unknown: unknown[] };
    };
    expect(stable.mme['mme.total']).toBe(80);
    expect(stable.mme['mme.complete']).toBe(true);
    // The dose history comes from every order: 80 MME/day throughout, plus 40 while a finished tramadol course ran.
    expect(stable.history.months).toHaveLength(6);
    expect(stable.history.months.at(-1)).toMatchObject({ mme: 80, complete: true });
    expect(stable.history.months.some((m) => m.mme === 120)).toBe(true);
    expect(stable.history.months.every((m) => m.mme >= 80 && m.complete)).toBe(true);
    expect(stable.history.unknown).toEqual([]);
  });

  test('refuses clearly: no token 401, a FHIR server outside the allowlist 403, a bad body 400, a token for another patient', async () => {
    const token = await appToken('pgx-poor');
    const noToken = await summary({ fhirServer: `${base}/fhir`, patientId: 'pgx-poor' });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');

    const elsewhere = await summary({ fhirServer: 'https://attacker.example/fhir', patientId: 'pgx-poor' }, token);
    expect(elsewhere.status).toBe(403);

    const bad = await summary({ fhirServer: 'not a url', patientId: '', extra: 1 }, token);
    expect(bad.status).toBe(400);
    const outcome = (await bad.json()) as { issue: { diagnostics: string }[] };
    expect(outcome.issue.map((i) => i.diagnostics).join(' ')).toMatch(/fhirServer/);

    // The FHIR server refuses a token scoped to another patient: a 401 the app turns into "launch again", never another patient's data.
    const other = await summary({ fhirServer: `${base}/fhir`, patientId: 'mme-stable-80' }, token);
    expect(other.status).toBe(401);
    expect(JSON.stringify(await other.json())).not.toContain('John');

    // A token the FHIR server does not know at all: the same.
    const unknown = await summary({ fhirServer: `${base}/fhir`, patientId: 'pgx-poor' }, 'not-a-token-the-ehr-issued');
    expect(unknown.status).toBe(401);
    expect(JSON.stringify(await unknown.json())).not.toMatch(/prefetch/i);
  });
});

describe('demo mode', () => {
  test('serves the demo EHR pages and its FHIR server only when on', async () => {
    expect((await fetch(`${base}/ehr/`)).status).toBe(200);
    expect((await fetch(`${base}/fhir/Patient/pgx-poor`)).status).toBe(401);
    expect((await fetch(`${base}/app/index.html`)).status).toBe(200);
    const patients = (await (await fetch(`${base}/ehr/api/patients`)).json()) as { id: string }[];
    expect(patients.map((p) => p.id)).toEqual(expect.arrayContaining(['pgx-poor', 'pgx-ultrarapid', 'mme-stable-80']));
  });

  test('the order screen API names what is wrong with a request', async () => {
    const res = await fetch(`${base}/ehr/api/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hook: 'order-dispatch', patientId: 'nobody', drafts: [] }) });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).toMatch(/hook/);
    expect(error).toMatch(/patientId: not a demo patient/);
    expect(error).toMatch(/drafts/);
  });

  test('with trusted clients configured (as in production) no demo is served, only the service and the app', async () => {
    const t = await startTestService();
    try {
      expect((await t.request.get('/ehr/')).status).toBe(404);
      expect((await t.request.get('/fhir/metadata')).status).toBe(404);
      expect((await t.request.get('/smart/.well-known/jwks.json')).status).toBe(404);
      expect((await t.request.get('/app/index.html')).status).toBe(200);
      expect((await t.request.get('/app/vendor/fhir-client.min.js')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  test('DEMO=on is refused outside local development mode', async () => {
    expect(() => loadConfig(env({ NODE_ENV: 'production', DEMO: 'on', CDS_CLIENTS: 'clients.json' }))).toThrow(/DEMO: the demo EHR runs only in local development mode/);
    expect(() => loadConfig(env({ DEMO: 'on', CDS_CLIENTS: 'clients.json' }))).toThrow(/DEMO/);
    // CDS_AUTH=off has no development key to sign the demo's calls with.
    await expect(composeService(loadConfig(env({ DEMO: 'on', CDS_AUTH: 'off' })), createLogger('silent'))).rejects.toThrow(/DEMO/);
    expect(() => loadConfig({ APP_FHIR_SERVERS: 'https://ehr.example/fhir, ftp://x' })).toThrow(/APP_FHIR_SERVERS/);
    expect(loadConfig({ APP_FHIR_SERVERS: 'https://ehr.example/fhir/, https://b.example/r4' }).appFhirServers).toEqual(['https://ehr.example/fhir', 'https://b.example/r4']);
  });
});
