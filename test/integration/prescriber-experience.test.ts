import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hookBody, NOW } from '../helpers/hooks.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * What a busy prescriber sees across one ordering session: each thing said
 * once (one naloxone message per call; at signature, no repeat of what
 * order-select said about the same order and the prescriber acted on), people
 * named rather than referenced, and the alert load reported per call.
 */
type Card = { uuid: string; indicator: string; summary: string; detail?: string; overrideReasons?: { code: string; system: string; display: string }[]; extension: { 'pain-cds-provenance': { ruleId: string } } };
const rule = (c: Card) => c.extension['pain-cds-provenance'].ruleId;
const ADMIN = 'admin-token-for-tests-0123456789';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ now: () => NOW, env: { ADMIN_TOKEN: ADMIN } });
});
afterAll(() => svc.close());

async function call(hook: 'order-select' | 'order-sign', patient: Parameters<typeof hookBody>[1], extra: { userId?: string; prefetch?: Record<string, unknown> } = {}): Promise<Card[]> {
  const body = hookBody(hook, patient);
  if (extra.userId) body.context.userId = extra.userId;
  if (extra.prefetch) body.prefetch = { ...body.prefetch, ...extra.prefetch } as never;
  const path = `/cds-services/opioid-${hook}`;
  const res = await svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
  expect(res.status).toBe(200);
  return res.body.cards;
}

async function feedback(hook: 'order-select' | 'order-sign', card: Card, outcome: 'accepted' | 'overridden', reasonCode?: string) {
  const path = `/cds-services/opioid-${hook}/feedback`;
  const reason = reasonCode ? card.overrideReasons!.find((r) => r.code === reasonCode) : undefined;
  const item = { card: card.uuid, outcome, outcomeTimestamp: NOW.toISOString(), ...(reason ? { overrideReason: { reason } } : {}) };
  const res = await svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(JSON.stringify({ feedback: [item] }));
  expect(res.status).toBe(200);
}

const alprazolam = { id: 'alprazolam', display: 'Alprazolam 0.5 MG Oral Tablet', dose: 1, frequency: 3, period: 1, periodUnit: 'd' as const, authoredDaysAgo: 60 };
const oxycodone = (tablets: number) => ({ id: 'draft-oxy', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: tablets, frequency: 1, period: 6, periodUnit: 'h' as const });
const codeine = { id: 'draft-codeine', rxnorm: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet', dose: 1, frequency: 1, period: 6, periodUnit: 'h' as const };

describe('each thing said once', () => {
  test('a patient on a benzodiazepine ordering oxycodone hears "naloxone" from one card only', async () => {
    const cards = await call('order-select', { id: 'benzo-once', medications: [alprazolam], drafts: [oxycodone(1)] });
    expect(cards.map(rule)).toEqual(expect.arrayContaining(['naloxone-offer', 'opioid-cns-depressant']));
    expect(cards.filter((c) => /naloxone/i.test(`${c.summary} ${c.detail ?? ''}`)).map(rule)).toEqual(['naloxone-offer']);
  });

  test('at signature, a warning overridden at order-select for the same order is not repeated; a changed dose fires again', async () => {
    const patient = { id: 'no-repeat', medications: [alprazolam], drafts: [oxycodone(1)] };
    const naloxone = (await call('order-select', patient)).find((c) => rule(c) === 'naloxone-offer')!;
    expect(naloxone.indicator).toBe('warning');
    await feedback('order-select', naloxone, 'overridden', naloxone.overrideReasons![0]!.code);
    expect((await call('order-sign', patient)).map(rule)).not.toContain('naloxone-offer');
    // A changed dose is a new situation: the warning comes back.
    expect((await call('order-sign', { ...patient, drafts: [oxycodone(2)] })).map(rule)).toContain('naloxone-offer');
  });

  test('a warning shown at order-select but not acted on is repeated at signature', async () => {
    const patient = { id: 'ignored', medications: [alprazolam], drafts: [oxycodone(1)] };
    await call('order-select', patient);
    expect((await call('order-sign', patient)).map(rule)).toContain('opioid-cns-depressant');
  });

  test('a critical card is repeated at signature unless it was overridden with a reason', async () => {
    const patient = { id: 'critical', cyp2d6: '*1/*1x2', drafts: [codeine] };
    const first = (await call('order-select', patient)).find((c) => rule(c) === 'pgx-codeine-ultrarapid')!;
    expect(first.indicator).toBe('critical');
    await feedback('order-select', first, 'overridden');
    expect((await call('order-sign', patient)).map(rule)).toContain('pgx-codeine-ultrarapid');
    const again = (await call('order-select', patient)).find((c) => rule(c) === 'pgx-codeine-ultrarapid')!;
    await feedback('order-select', again, 'overridden', 'pgx-reviewed');
    expect((await call('order-sign', patient)).map(rule)).not.toContain('pgx-codeine-ultrarapid');
  });

  test('the alert report counts the cards shown per call of each service', async () => {
    const res = await svc.request.get('/admin/audit/alert-report?from=2026-05-01&to=2026-07-01').set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(200);
    const select = (res.body.cardsPerCall as { serviceId: string; calls: number; cards: number; maxPerCall: number; meanPerCall: number }[]).find((c) => c.serviceId === 'opioid-order-select')!;
    expect(select.calls).toBeGreaterThan(3);
    expect(select.cards).toBeGreaterThanOrEqual(select.calls);
    expect(select.meanPerCall).toBeCloseTo(select.cards / select.calls, 2);
  });
});

describe('people are named, not referenced', () => {
  const drAble = { resourceType: 'Practitioner', id: 'dr-able', name: [{ prefix: ['Dr'], given: ['Ann'], family: 'Able' }] };
  const drBaker = { resourceType: 'Practitioner', id: 'dr-baker', name: [{ text: 'Dr Ben Baker' }] };

  test('the quiet card names who justified it: "you (Dr ...)" for the same prescriber, their name for another', async () => {
    const patient = { id: 'named', medications: [alprazolam], drafts: [oxycodone(1)] };
    const loud = (await call('order-sign', patient, { userId: 'Practitioner/dr-able', prefetch: { practitioner: drAble } })).find((c) => rule(c) === 'opioid-cns-depressant')!;
    await feedback('order-sign', loud, 'overridden', 'co-prescribing-supervised');
    const own = (await call('order-sign', patient, { userId: 'Practitioner/dr-able', prefetch: { practitioner: drAble } })).find((c) => rule(c) === 'cns-depressant-justified')!;
    expect(own.detail).toContain('documented by you (Dr Ann Able)');
    const other = (await call('order-sign', patient, { userId: 'Practitioner/dr-baker', prefetch: { practitioner: drBaker } })).find((c) => rule(c) === 'cns-depressant-justified')!;
    expect(other.detail).toContain('documented by Dr Ann Able');
    for (const c of [own, other]) expect(c.detail).not.toContain('Practitioner/');
  });

  test('a prescriber the call does not name is "another prescriber", and a missing practitioner record is no missing safety check', async () => {
    const patient = { id: 'unnamed', medications: [alprazolam], drafts: [oxycodone(1)] };
    const loud = (await call('order-sign', patient, { userId: 'Practitioner/dr-x' })).find((c) => rule(c) === 'opioid-cns-depressant')!;
    await feedback('order-sign', loud, 'overridden', 'co-prescribing-supervised');
    const cards = await call('order-sign', patient, { userId: 'Practitioner/dr-y' });
    expect(cards.find((c) => rule(c) === 'cns-depressant-justified')!.detail).toContain('documented by another prescriber');
    expect(cards.map(rule)).not.toContain('data-unavailable');
  });
});
