import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CODEINE_DRAFT, hookBody, NOW } from '../helpers/hooks.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ now: () => NOW });
});
afterAll(() => svc.close());

async function post(path: string, body: unknown) {
  return svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(body as object);
}

/** Issues a real card (codeine for a CYP2D6 poor metabolizer) and returns it. */
async function issueCard(serviceId = 'opioid-order-sign') {
  const hook = serviceId === 'opioid-order-select' ? 'order-select' : 'order-sign';
  const res = await post(`/cds-services/${serviceId}`, hookBody(hook, { id: `fb-${randomUUID().slice(0, 6)}`, cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
  expect(res.status).toBe(200);
  const card = res.body.cards.find((c: { suggestions?: unknown[] }) => c.suggestions?.length);
  expect(card).toBeDefined();
  return card as { uuid: string; suggestions: { uuid: string }[]; overrideReasons: { system: string; code: string; display: string }[] };
}

describe('feedback', () => {
  test('accepted with a suggestion: 200 {} and stored once', async () => {
    const card = await issueCard();
    const item = { card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: card.suggestions[0]!.uuid }], outcomeTimestamp: NOW.toISOString() };
    const res = await post('/cds-services/opioid-order-sign/feedback', { feedback: [item] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const again = await post('/cds-services/opioid-order-sign/feedback', { feedback: [item] });
    expect(again.status).toBe(200);
    const stored = (await svc.store.listFeedback({})).filter((f) => f.cardUuid === card.uuid);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ outcome: 'accepted', acceptedSuggestions: [card.suggestions[0]!.uuid] });
  });

  test.each([
    ['spec form with display and comment', (r: { system: string; code: string; display: string }) => ({ reason: r, userComment: 'Reviewed with the patient' })],
    ['reason without display', (r: { system: string; code: string }) => ({ reason: { system: r.system, code: r.code } })],
    ['no comment', (r: { system: string; code: string; display: string }) => ({ reason: r })],
    ['older flat {code, system}', (r: { system: string; code: string }) => ({ code: r.code, system: r.system })],
  ])('overridden, %s: stored with the reason code', async (_name, shape) => {
    const card = await issueCard();
    const reason = card.overrideReasons[0]!;
    const res = await post('/cds-services/opioid-order-sign/feedback', {
      feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: shape(reason), outcomeTimestamp: NOW.toISOString() }],
    });
    expect(res.status).toBe(200);
    const stored = (await svc.store.listFeedback({})).find((f) => f.cardUuid === card.uuid);
    expect(stored).toMatchObject({ outcome: 'overridden', overrideReason: { code: reason.code } });
  });

  test('feedback for a card this service never issued is a 404 and stores nothing', async () => {
    const before = (await svc.store.listFeedback({})).length;
    const res = await post('/cds-services/opioid-order-sign/feedback', {
      feedback: [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: NOW.toISOString() }],
    });
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await svc.store.listFeedback({})).toHaveLength(before);
  });

  test('feedback sent to another service than the one that issued the card is a 400', async () => {
    const card = await issueCard('opioid-order-select');
    const res = await post('/cds-services/opioid-order-sign/feedback', {
      feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: card.suggestions[0]!.uuid }], outcomeTimestamp: NOW.toISOString() }],
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('another service');
  });

  test('a post mixing a known and an unknown card stores neither', async () => {
    const card = await issueCard();
    const res = await post('/cds-services/opioid-order-sign/feedback', {
      feedback: [
        { card: card.uuid, outcome: 'overridden', outcomeTimestamp: NOW.toISOString() },
        { card: randomUUID(), outcome: 'overridden', outcomeTimestamp: NOW.toISOString() },
      ],
    });
    expect(res.status).toBe(400);
    expect((await svc.store.listFeedback({})).filter((f) => f.cardUuid === card.uuid)).toHaveLength(0);
  });

  test('a malformed feedback body is a 400 naming the field', async () => {
    const res = await post('/cds-services/opioid-order-sign/feedback', { feedback: [{ card: 'x', outcome: 'maybe' }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('feedback.0.outcome');
  });
});
