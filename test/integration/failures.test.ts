import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { watchRuleFiles } from '../../src/rules/watch.js';
import { CODEINE_DRAFT, hookBody, NOW } from '../helpers/hooks.js';
import { REPO_ROOT, startTestService, type TestService } from '../helpers/service.js';

/** Failing dependencies: a misbehaving FHIR server, a locked store, broken rule files, abusive clients. */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ now: () => NOW, env: { PREFETCH_TIMEOUT_MS: '500', HOOK_BUDGET_MS: '1500', PREFETCH_MAX_PAGES: '3', PREFETCH_MAX_BYTES: '1000000' } });
});
afterAll(() => svc.close());

async function post(p: string, body: unknown, s = svc) {
  return s.request.post(p).set('Authorization', `Bearer ${await s.token(p)}`).set('Content-Type', 'application/json').send(body as object);
}

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, base: string) => void;

const BEHAVIOURS: [string, Behaviour][] = [
  ['401', (_q, r) => r.writeHead(401).end()],
  ['403', (_q, r) => r.writeHead(403).end()],
  ['500', (_q, r) => r.writeHead(500).end('oops')],
  ['an HTML page', (_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Login</body></html>')],
  ['truncated JSON', (_q, r) => r.writeHead(200, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Bundle","entry":[{"resource":')],
  ['an endless next chain', (q, r, base) => r.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'Bundle', link: [{ relation: 'next', url: `${base}${q.url}&page=${Math.random()}` }], entry: [] }))],
  ['a huge Bundle', (_q, r) => r.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'Bundle', entry: Array.from({ length: 30_000 }, (_, i) => ({ resource: { resourceType: 'Observation', id: `o${i}`, status: 'final' } })) }))],
  ['a timeout', () => undefined],
  ['malformed resources', (_q, r) => r.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MedicationRequest', status: 7, dosageInstruction: 'often' } }] }))],
];

describe('a failing FHIR server for the prefetch fallback', () => {
  test.each(BEHAVIOURS)('%s: degraded cards that say what was not checked, within the budget', async (_name, behave) => {
    const server = http.createServer((req, res) => behave(req, res, base));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const body = hookBody('order-select', { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] });
      const started = Date.now();
      // The patient is given; everything else must come from the failing server.
      const res = await post('/cds-services/opioid-order-select', { ...body, prefetch: { patient: body.prefetch.patient }, fhirServer: `${base}/fhir`, fhirAuthorization: { access_token: 't', token_type: 'Bearer' } });
      expect(Date.now() - started).toBeLessThan(4000);
      expect(res.status).toBe(200);
      const card = res.body.cards.find((c: { extension: Record<string, { ruleId: string }> }) => c.extension['pain-cds-provenance']!.ruleId === 'data-unavailable');
      expect(card.detail).toContain('Could not be checked');
      // Nothing at all from the same server at signature: still an answer, saying what was not checked.
      const sign = await post('/cds-services/opioid-order-sign', { ...hookBody('order-sign', { drafts: [CODEINE_DRAFT] }), prefetch: {}, fhirServer: `${base}/fhir`, fhirAuthorization: { access_token: 't', token_type: 'Bearer' } });
      expect(sign.status).toBe(200);
      const signRules = sign.body.cards.map((c: { extension: Record<string, { ruleId: string }> }) => c.extension['pain-cds-provenance']!.ruleId);
      expect(signRules).toContain('data-unavailable');
      expect(signRules).not.toContain('pgx-pretest-no-result');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('a locked store', () => {
  test('hook calls still answer; feedback fails with 503 and nothing is half-written', async () => {
    const issued = await post('/cds-services/opioid-order-sign', hookBody('order-sign', { id: 'locked', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
    const card = issued.body.cards[0];
    const lock = new Database(path.join(svc.dataDir, 'pain-cds.sqlite'));
    lock.pragma('busy_timeout = 0');
    lock.exec('BEGIN EXCLUSIVE');
    try {
      const hook = await post('/cds-services/opioid-order-sign', hookBody('order-sign', { id: 'locked-2', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
      expect(hook.status).toBe(200);
      expect(hook.body.cards.length).toBeGreaterThan(0);
      const fb = await post('/cds-services/opioid-order-sign/feedback', {
        feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason: card.overrideReasons[0] }, outcomeTimestamp: NOW.toISOString() }],
      });
      expect(fb.status).toBe(503);
      expect(fb.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect(await svc.store.listFeedback({ patientId: 'locked' })).toHaveLength(0);
    expect(await svc.store.listExceptions({ patientId: 'locked' })).toHaveLength(0);
  }, 20_000);
});

describe('a read-only store', () => {
  test('hook calls still answer; feedback fails with 503 and nothing is half-written; writes resume when it is writable again', async () => {
    const issued = await post('/cds-services/opioid-order-sign', hookBody('order-sign', { id: 'read-only', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
    const card = issued.body.cards[0];
    const override = { feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason: card.overrideReasons[0] }, outcomeTimestamp: NOW.toISOString() }] };
    // Fault injection on the service's own SQLite connection: from now on SQLite refuses every
    // write with SQLITE_READONLY, as it does when the volume is remounted read-only.
    const connection = (svc.store as unknown as { db: Database.Database }).db;
    connection.pragma('query_only = ON');
    try {
      const hook = await post('/cds-services/opioid-order-sign', hookBody('order-sign', { id: 'read-only-2', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
      expect(hook.status).toBe(200);
      expect(hook.body.cards.length).toBeGreaterThan(0);
      const fb = await post('/cds-services/opioid-order-sign/feedback', override);
      expect(fb.status).toBe(503);
      expect(fb.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
      expect(JSON.stringify(fb.body)).not.toMatch(/SQLITE|sqlite-store|at .*\.ts/);
    } finally {
      connection.pragma('query_only = OFF');
    }
    expect(await svc.store.listFeedback({ patientId: 'read-only' })).toHaveLength(0);
    expect(await svc.store.listExceptions({ patientId: 'read-only' })).toHaveLength(0);
    expect((await post('/cds-services/opioid-order-sign/feedback', override)).status).toBe(200);
    expect(await svc.store.listExceptions({ patientId: 'read-only' })).toHaveLength(1);
  });
});

describe('rule files broken while serving', () => {
  test('are rejected, the error is logged and shown on /healthz, and the old set keeps serving', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-'));
    fs.cpSync(path.join(REPO_ROOT, 'rules'), path.join(root, 'rules'), { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, 'cards'), path.join(root, 'cards'), { recursive: true });
    const live = await startTestService({ env: { RULES_DIR: path.join(root, 'rules'), CARDS_DIR: path.join(root, 'cards') } });
    const lines: string[] = [];
    const stop = watchRuleFiles([path.join(root, 'rules'), path.join(root, 'cards')], () => live.reloadRules(), createLogger('info', { write: (l: string) => void lines.push(l) }), 100);
    try {
      fs.writeFileSync(path.join(root, 'cards', 'pgx-info.json'), '{ "id": "pgx-info", ');
      await vi.waitFor(() => expect(lines.join('\n')).toContain('rule set reload rejected'), { timeout: 5000, interval: 50 });
      const health = await live.request.get('/healthz');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.rulesReload).toMatchObject({ status: 'rejected', problems: expect.arrayContaining([expect.objectContaining({ file: 'cards/pgx-info.json' })]) });
      const res = await post('/cds-services/opioid-order-select', hookBody('order-select', { cyp2d6: '*1/*4', drafts: [CODEINE_DRAFT] }), live);
      expect(res.status).toBe(200);
      expect(res.body.cards.map((c: { extension: Record<string, { ruleId: string }> }) => c.extension['pain-cds-provenance']!.ruleId)).toContain('pgx-codeine-intermediate');
    } finally {
      stop();
      await live.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('clients and headers', () => {
  test('a client over its rate limit gets 429; another client is not affected', async () => {
    const limited = await startTestService({ env: { CDS_RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await limited.request.get('/cds-services').set('Authorization', `Bearer ${await limited.token('/cds-services')}`)).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      const other = await limited.request.get('/cds-services').set('Authorization', `Bearer ${await limited.token('/cds-services', limited.clients.rs)}`);
      expect(other.status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  test('security headers are set', async () => {
    const res = await svc.request.get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
