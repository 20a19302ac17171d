import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hookBody, NOW } from '../helpers/hooks.js';
import { PUBLIC_BASE_URL, startTestService, type TestService } from '../helpers/service.js';

/**
 * The request log is what an integrator reads to fix their side: the full
 * route called, whether it was discovery, a hook call or feedback, and for a
 * refusal the OperationOutcome's reason (and for a 401 what was wrong with
 * the token), never the token or patient data (the helper scans every line
 * when the service closes).
 */
let svc: TestService;
const logs: string[] = [];
beforeAll(async () => {
  svc = await startTestService({ now: () => NOW, logs });
});
afterAll(() => svc.close());

type LogLine = Record<string, unknown>;
/** The request log lines written since `mark`. */
const requestLines = (mark: number): LogLine[] =>
  logs
    .slice(mark)
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg === 'request');

/** Waits for the request line of the call just made (written when the response finishes). */
async function lastRequestLine(mark: number): Promise<LogLine> {
  for (let i = 0; i < 200; i++) {
    const lines = requestLines(mark);
    if (lines.length > 0) return lines.at(-1)!;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('no request log line');
}

const feedbackBody = () => ({ feedback: [{ card: randomUUID(), outcome: 'accepted', acceptedSuggestions: [], outcomeTimestamp: NOW.toISOString() }] });

describe('request log', () => {
  test('a refused feedback call is logged as feedback, with its full route and its reason', async () => {
    const path = '/cds-services/opioid-order-select/feedback';
    const mark = logs.length;
    const res = await svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(feedbackBody());
    expect(res.status).toBe(404);
    const line = await lastRequestLine(mark);
    expect(line).toMatchObject({ method: 'POST', route: path, kind: 'feedback', status: 404, serviceId: 'opioid-order-select', clientIss: svc.clients.es.iss });
    expect(line.reason).toBe(res.body.issue[0].diagnostics);
    expect(line.reason).toContain('no card with this uuid');
  });

  test('a hook call is logged as a hook call', async () => {
    const path = '/cds-services/opioid-patient-view';
    const mark = logs.length;
    const res = await svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(hookBody('patient-view'));
    expect(res.status).toBe(200);
    const line = await lastRequestLine(mark);
    expect(line).toMatchObject({ route: path, kind: 'hook', status: 200, serviceId: 'opioid-patient-view' });
    expect(line.reason).toBeUndefined();
  });

  test('discovery is logged as discovery', async () => {
    const mark = logs.length;
    await svc.request.get('/cds-services').set('Authorization', `Bearer ${await svc.token('/cds-services')}`);
    expect(await lastRequestLine(mark)).toMatchObject({ route: '/cds-services', kind: 'discovery', status: 200 });
  });

  test('a 400 logs the validation reason, not the patient in the body', async () => {
    const path = '/cds-services/opioid-order-sign';
    const body = hookBody('order-sign') as Record<string, unknown>;
    delete body.hookInstance;
    const mark = logs.length;
    const res = await svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    const line = await lastRequestLine(mark);
    expect(line).toMatchObject({ route: path, kind: 'hook', status: 400 });
    expect(line.reason).toContain('hookInstance');
  });

  test('a 401 logs what was wrong with the token (audience expected and received), never the token', async () => {
    const path = '/cds-services/opioid-order-select';
    const wrongAud = `${PUBLIC_BASE_URL}/cds-services/opioid-order-sign`;
    const token = await svc.clients.es.token(wrongAud);
    const mark = logs.length;
    const res = await svc.request.post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(hookBody('order-select'));
    expect(res.status).toBe(401);
    const line = await lastRequestLine(mark);
    expect(line).toMatchObject({
      route: path,
      kind: 'hook',
      status: 401,
      reason: 'Authentication required',
      authFailure: 'audience mismatch',
      authDetail: { iss: svc.clients.es.iss, kid: svc.clients.es.kid, alg: 'ES384', aud: wrongAud, expectedAud: `${PUBLIC_BASE_URL}${path}` },
    });
    expect(logs.slice(mark).join('\n')).not.toContain(token.split('.')[1]);
  });

  test('an unknown route is logged by its first segment only, with its reason', async () => {
    const mark = logs.length;
    const res = await svc.request.get('/fhir/Patient/scenario-patient');
    expect(res.status).toBe(404);
    expect(await lastRequestLine(mark)).toMatchObject({ route: '/fhir', status: 404, reason: 'Nothing at GET /fhir' });
  });

  test('an unknown service id is logged with its route and reason', async () => {
    const path = '/cds-services/opioid-order-selct/feedback';
    const mark = logs.length;
    const res = await svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(feedbackBody());
    expect(res.status).toBe(404);
    expect(await lastRequestLine(mark)).toMatchObject({ route: path, kind: 'feedback', status: 404, reason: "No CDS service with id 'opioid-order-selct'" });
  });
});
