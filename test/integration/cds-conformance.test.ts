import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFhirServer } from '../../src/sandbox/fhir-server.js';
import { expandPatient, prefetchGroups } from '../../src/pipeline/scenarios/compact-patient.js';
import { hookBody, NOW, SERVICE_IDS, CODEINE_DRAFT } from '../helpers/hooks.js';
import { startTestService, type TestService } from '../helpers/service.js';

const OUTCOME = { resourceType: 'OperationOutcome', issue: expect.any(Array) };

let svc: TestService;
const logs: string[] = [];
beforeAll(async () => {
  svc = await startTestService({ now: () => NOW, logs, env: { PREFETCH_TIMEOUT_MS: '400', HOOK_BUDGET_MS: '1500' } });
});
afterAll(() => svc.close());

const post = (path: string, body: unknown, token?: string) => svc.post(path, body, token);

describe('discovery', () => {
  test('lists one service per hook with stable ids, descriptions and prefetch templates', async () => {
    const res = await svc.request.get('/cds-services').set('Authorization', `Bearer ${await svc.token('/cds-services')}`);
    expect(res.status).toBe(200);
    const ids = res.body.services.map((s: { id: string }) => s.id);
    expect(ids).toEqual(['opioid-order-select', 'opioid-order-sign', 'opioid-patient-view']);
    for (const s of res.body.services) {
      expect(s).toMatchObject({ hook: expect.any(String), id: expect.any(String), title: expect.any(String), description: expect.any(String) });
      expect(Object.keys(s.prefetch)).toEqual(expect.arrayContaining(['patient', 'medicationRequests', 'conditions', 'observations']));
      for (const template of Object.values<string>(s.prefetch)) expect(template).not.toMatch(/_include|_revinclude/);
    }
    expect(new Set(res.body.services.map((s: { hook: string }) => s.hook))).toEqual(new Set(['order-select', 'order-sign', 'patient-view']));
  });
});

describe('service calls', () => {
  test.each([
    ['order-select', ['pgx-codeine-poor']],
    ['order-sign', ['pgx-codeine-poor']],
    ['patient-view', ['pgx-patient-summary']],
  ] as const)('%s: a valid call runs the whole path and answers with the expected cards', async (hook, rules) => {
    const res = await post(`/cds-services/${SERVICE_IDS[hook]}`, hookBody(hook, { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c: { extension: Record<string, { ruleId: string }> }) => c.extension['pain-cds-provenance']!.ruleId)).toEqual(rules);
  });

  test('unknown fields, extensions, Bundles without type and doseAndRate as an object are accepted', async () => {
    const body = hookBody('order-sign', { drafts: [CODEINE_DRAFT] }) as unknown as Record<string, unknown> & { context: { draftOrders: Record<string, unknown> } };
    body.extension = { 'com.example.anything': { nested: true } };
    body.somethingNew = 42;
    delete body.context.draftOrders.type;
    const entry = (body.context.draftOrders.entry as { resource: { dosageInstruction: { doseAndRate: unknown[] }[] } }[])[0]!;
    entry.resource.dosageInstruction[0]!.doseAndRate = entry.resource.dosageInstruction[0]!.doseAndRate[0] as never;
    const res = await post('/cds-services/opioid-order-sign', body);
    expect(res.status).toBe(200);
  });

  test('malformed JSON is a 400 OperationOutcome', async () => {
    const res = await post('/cds-services/opioid-order-sign', '{"hook": "order-sign",');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(OUTCOME);
  });

  test('missing required fields are a 400 naming each of them', async () => {
    const res = await post('/cds-services/opioid-order-sign', { hook: 'order-sign', context: { userId: 'Practitioner/1' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(OUTCOME);
    const text = JSON.stringify(res.body.issue);
    expect(text).toContain('hookInstance');
  });

  test('a hook that does not match the service is a 400', async () => {
    const res = await post('/cds-services/opioid-order-sign', hookBody('patient-view'));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("answers 'order-sign'");
  });

  test('an unknown service is a 404', async () => {
    const res = await post('/cds-services/no-such-service', hookBody('patient-view'));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject(OUTCOME);
  });

  test('a wrong method is a 405', async () => {
    const path = '/cds-services/opioid-order-sign';
    const res = await svc.request.get(path).set('Authorization', `Bearer ${await svc.token(path)}`);
    expect(res.status).toBe(405);
    expect(res.body).toMatchObject(OUTCOME);
  });

  test('a body over the limit is a 413', async () => {
    const body = hookBody('patient-view') as Record<string, unknown>;
    body.padding = 'x'.repeat(1_100_000);
    const res = await post('/cds-services/opioid-patient-view', body);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject(OUTCOME);
  });

  test('a body that is not JSON is a 415', async () => {
    const path = '/cds-services/opioid-patient-view';
    const res = await svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject(OUTCOME);
  });

  test('no token is a 401 with no detail', async () => {
    const res = await svc.request.post('/cds-services/opioid-patient-view').set('Content-Type', 'application/json').send(hookBody('patient-view'));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject(OUTCOME);
    expect(JSON.stringify(res.body)).not.toMatch(/jwt|token|signature|expired/i);
  });

  test('a CORS preflight is answered without a token', async () => {
    const res = await svc.request
      .options('/cds-services/opioid-order-select')
      .set('Origin', 'https://ehr.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/i);
  });

  test('errors never carry a stack trace', async () => {
    const res = await post('/cds-services/opioid-order-sign', { hook: 'order-sign', hookInstance: 1, context: [] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});

describe('prefetch', () => {
  let fhir: Awaited<ReturnType<typeof createFhirServer>>;
  const patient = { id: 'fallback-1', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] };
  beforeAll(async () => {
    const expanded = expandPatient(patient, NOW);
    const resources = prefetchGroups(expanded).flat();
    fhir = await createFhirServer({ resources, authorize: ({ token }) => (token === 'good-token' ? 'allow' : 'unauthorized') });
  });
  afterAll(() => fhir.close());

  const auth = { access_token: 'good-token', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cds-service' };

  test('given prefetch is used as is', async () => {
    const res = await post('/cds-services/opioid-order-select', hookBody('order-select', patient));
    expect(res.status).toBe(200);
  });

  test('null means nothing found: no fetch and no 412 for optional keys', async () => {
    const body = hookBody('order-select', patient);
    body.prefetch = { ...body.prefetch, conditions: null, procedures: null } as never;
    const res = await post('/cds-services/opioid-order-select', body);
    expect(res.status).toBe(200);
  });

  test('absent keys are fetched from fhirServer with the access token', async () => {
    const body = { ...hookBody('order-sign', patient), prefetch: {}, fhirServer: fhir.baseUrl, fhirAuthorization: auth };
    const res = await post('/cds-services/opioid-order-sign', body);
    expect(res.status).toBe(200);
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.hookInstance === body.hookInstance);
    expect(line.prefetchFetched).toEqual(expect.arrayContaining(['patient', 'medicationRequests', 'observations']));
    expect(logs.join('\n')).not.toContain('good-token');
  });

  test('a key carrying an OperationOutcome is fetched instead', async () => {
    const body = hookBody('order-sign', patient);
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const withOutcome = { ...body, prefetch: { ...body.prefetch, medicationRequests: outcome, patient: outcome }, fhirServer: fhir.baseUrl, fhirAuthorization: auth };
    const res = await post('/cds-services/opioid-order-sign', withOutcome);
    expect(res.status).toBe(200);
  });

  test('no prefetch and no FHIR access: a 200 with a card naming every check that could not be done, never "not on file"', async () => {
    const res = await post('/cds-services/opioid-order-sign', { ...hookBody('order-sign', patient), prefetch: {} });
    expect(res.status).toBe(200);
    const rules = res.body.cards.map((c: { extension: Record<string, { ruleId: string }> }) => c.extension['pain-cds-provenance']!.ruleId);
    expect(rules).toContain('data-unavailable');
    // Unavailable laboratory results are not an absent CYP2D6 result: no pre-test card.
    expect(rules).not.toContain('pgx-pretest-no-result');
    const detail = res.body.cards.find((c: { extension: Record<string, { ruleId: string }> }) => c.extension['pain-cds-provenance']!.ruleId === 'data-unavailable').detail;
    expect(detail).toContain('active medication orders');
    expect(detail).toContain('laboratory results');
  });

  test('a FHIR server that refuses the token: a 200 saying what could not be checked', async () => {
    const body = { ...hookBody('order-sign', patient), prefetch: {}, fhirServer: fhir.baseUrl, fhirAuthorization: { ...auth, access_token: 'wrong' } };
    const res = await post('/cds-services/opioid-order-sign', body);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body.cards)).toMatch(/could not be checked/i);
  });

  test('a slow FHIR server gets a bounded answer', async () => {
    const slow = http.createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Bundle","entry":[]}'), 5000).unref();
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/fhir`;
    try {
      const body = hookBody('order-select', patient);
      // Patient given; everything optional is missing and must be fetched from the slow server.
      const started = Date.now();
      const res = await post('/cds-services/opioid-order-select', { ...body, prefetch: { patient: body.prefetch.patient }, fhirServer: url, fhirAuthorization: auth });
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(elapsed).toBeLessThan(3000);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });
});

describe('debug traces', () => {
  test('?debug=rules returns every rule evaluated only when CDS_DEBUG is on', async () => {
    const debug = await startTestService({ env: { CDS_DEBUG: 'true' } });
    try {
      const path = '/cds-services/opioid-order-select';
      const res = await debug.request.post(`${path}?debug=rules`).set('Authorization', `Bearer ${await debug.token(path)}`).set('Content-Type', 'application/json').send(hookBody('order-select', { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
      expect(res.status).toBe(200);
      expect(res.body.debug).toEqual(expect.arrayContaining([expect.objectContaining({ ruleId: 'pgx-codeine-poor', fired: true }), expect.objectContaining({ ruleId: 'pgx-codeine-ultrarapid', fired: false })]));
    } finally {
      await debug.close();
    }
    const path = '/cds-services/opioid-order-select';
    const off = await svc.request.post(`${path}?debug=rules`).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(hookBody('order-select', { drafts: [CODEINE_DRAFT] }));
    expect(off.status).toBe(200);
    expect(off.body.debug).toBeUndefined();
  });
});
