import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CODEINE_DRAFT, hookBody } from '../helpers/hooks.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * Hostile input: generated malformed, oversized, deeply nested, wrongly typed
 * and adversarial requests. The service never answers 5xx, always answers an
 * OperationOutcome on error, and keeps answering valid requests.
 */
let svc: TestService;
const logs: string[] = [];
beforeAll(async () => {
  svc = await startTestService({ logs });
});
let inputsTried = 0;
afterAll(async () => {
  await svc.close();
  console.log(`fuzz: ${inputsTried} generated inputs tried, 0 failures (FUZZ_RUNS=${RUNS} per property)`);
});

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SERVICE = '/cds-services/opioid-order-sign';

async function send(path: string, body: unknown) {
  inputsTried++;
  return svc.request
    .post(path)
    .set('Authorization', `Bearer ${await svc.token(path)}`)
    .set('Content-Type', 'application/json')
    .send(typeof body === 'string' ? body : JSON.stringify(body));
}

function expectSane(res: { status: number; body: unknown; text: string }) {
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: expect.any(Array) });
  expect(res.text).not.toMatch(/at \S+\.(ts|js):\d+/);
}

const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'NaN', 'Infinity', '-0', '1e309', '<script>alert(1)</script>', '[x](javascript:alert(1))', '\u0000', '\uFFFF', '𝕏'.repeat(50)),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, nasty, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'resourceType', 'entry')), tie('value'), { maxKeys: 5 })),
})).value;

/** Mutates one path of a valid request into something hostile. */
const mutatedRequest = fc
  .tuple(fc.constantFrom('hook', 'hookInstance', 'context', 'context.userId', 'context.patientId', 'context.draftOrders', 'context.draftOrders.entry', 'prefetch', 'prefetch.patient', 'prefetch.medicationRequests', 'prefetch.observations', 'fhirServer', 'fhirAuthorization'), anyJson)
  .map(([path, value]) => {
    const body = hookBody('order-sign', { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }) as unknown as Record<string, unknown>;
    const keys = path.split('.');
    let target = body as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) target = (target[k] ?? {}) as Record<string, unknown>;
    target[keys.at(-1)!] = value;
    return body;
  });

/** Valid structure, adversarial FHIR content inside the resources. */
const hostileResources = fc.record({ drug: nasty, dose: nasty, freq: nasty, diplotype: nasty, name: nasty }).map((h) => {
  const body = hookBody('order-sign', { cyp2d6: '*1/*1', drafts: [CODEINE_DRAFT] }) as unknown as { context: { draftOrders: { entry: { resource: Record<string, unknown> }[] } }; prefetch: Record<string, Record<string, unknown>> };
  const order = body.context.draftOrders.entry[0]!.resource;
  order.medicationCodeableConcept = { text: h.drug, coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: h.drug, display: h.drug }] };
  order.dosageInstruction = [{ timing: { repeat: { frequency: h.freq, period: h.freq, periodUnit: h.drug } }, doseAndRate: { doseQuantity: { value: h.dose, unit: h.drug } } }];
  body.prefetch.patient = { resourceType: 'Patient', id: 'p', name: [{ text: h.name }], birthDate: h.name };
  body.prefetch.observations = { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'CYP2D6' }, valueString: h.diplotype } }] };
  return body;
});

describe('hostile hook requests', () => {
  test('mutated requests never cause a 5xx, a crash or a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRequest, async (body) => {
        expectSane(await send(SERVICE, body));
      }),
      { numRuns: RUNS },
    );
  });

  test('adversarial FHIR content is handled and escaped in cards', async () => {
    await fc.assert(
      fc.asyncProperty(hostileResources, async (body) => {
        const res = await send(SERVICE, body);
        expectSane(res);
        if (res.status === 200) for (const card of res.body.cards) expect(card.detail ?? '').not.toMatch(/<script/i);
      }),
      { numRuns: RUNS },
    );
  });

  test('a resourceType naming an Object.prototype member (found by this suite) is treated as unknown', async () => {
    for (const resourceType of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const body = hookBody('order-sign', { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] });
      const inPrefetch = await send(SERVICE, { ...body, prefetch: { ...body.prefetch, patient: { resourceType } } });
      expectSane(inPrefetch);
      const inDraft = await send(SERVICE, { ...body, context: { ...body.context, draftOrders: { resourceType: 'Bundle', entry: [{ resource: { resourceType, id: 'x' } }] } } });
      expectSane(inDraft);
    }
  });

  test('random bodies, deep nesting and prototype-pollution keys', async () => {
    const deep = (n: number): unknown => (n === 0 ? {} : { a: deep(n - 1) });
    for (const body of ['', 'null', '[]', '"x"', '{"__proto__": {"polluted": true}, "hook": "order-sign"}', JSON.stringify(deep(1000)), `{"hook":"order-sign","prefetch":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`, '{"constructor": {"prototype": {"x": 1}}}']) {
      expectSane(await send(SERVICE, body));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await fc.assert(
      fc.asyncProperty(anyJson, async (body) => {
        expectSane(await send(SERVICE, body));
      }),
      { numRuns: RUNS },
    );
  });

  test('feedback bodies', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, fc.constantFrom('feedback', 'card', 'outcome', 'overrideReason', 'acceptedSuggestions'), async (value, key) => {
        const item: Record<string, unknown> = { card: 'x', outcome: 'overridden', outcomeTimestamp: '2026-01-01T00:00:00Z' };
        const body: Record<string, unknown> = { feedback: [item] };
        if (key === 'feedback') body.feedback = value;
        else item[key] = value;
        expectSane(await send(`${SERVICE}/feedback`, body));
      }),
      { numRuns: RUNS },
    );
  });

  test('a name with HTML and markdown comes out escaped', async () => {
    const drug = { ...CODEINE_DRAFT, display: 'Codeine <img src=x onerror=alert(1)> **bold** [link](http://evil)' };
    const res = await send(SERVICE, hookBody('order-sign', { cyp2d6: '*4/*4', drafts: [{ ...drug, rxnorm: undefined }] }));
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body.cards.map((c: { detail?: string }) => c.detail));
    expect(text).not.toContain('<img');
  });

  test('valid requests are still answered after all that, and nothing leaked into the logs', async () => {
    const res = await send(SERVICE, hookBody('order-sign', { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
    expect(res.status).toBe(200);
    expect(res.body.cards.length).toBeGreaterThan(0);
    const all = logs.join('\n');
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/); // no JWT
    expect(all).not.toContain('scenario-patient');
    expect(all).not.toContain('Test Patient');
  });
});
