import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hookBody, CODEINE_DRAFT } from '../helpers/hooks.js';
import { startTestService, type TestService } from '../helpers/service.js';

/** Justified exceptions: feedback -> exception on file -> quiet card -> expiry -> loud again; audit API. */
const DAY = 86_400_000;
let clock = new Date('2026-06-01T12:00:00Z');
let svc: TestService;
const ADMIN = 'admin-token-for-tests-0123456789';
beforeAll(async () => {
  svc = await startTestService({ now: () => clock, env: { ADMIN_TOKEN: ADMIN } });
});
afterAll(() => svc.close());

const oxycodone = (tabs: number) => ({ id: `draft-oxy-${tabs}`, rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: tabs, frequency: 4 });
type Card = { uuid: string; indicator: string; summary: string; detail?: string; extension: { 'pain-cds-provenance': { ruleId: string } }; overrideReasons?: { system: string; code: string; display: string }[]; suggestions?: { uuid: string }[] };

async function post(path: string, body: unknown) {
  return svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(body as object);
}
async function sign(patient: Parameters<typeof hookBody>[1], userId = 'Practitioner/dr-a'): Promise<Card[]> {
  const body = hookBody('order-sign', patient, clock);
  body.context.userId = userId;
  const res = await post('/cds-services/opioid-order-sign', body);
  expect(res.status).toBe(200);
  return res.body.cards;
}
const rule = (c: Card) => c.extension['pain-cds-provenance'].ruleId;
async function override(card: Card, code: string, comment?: string) {
  const reason = card.overrideReasons!.find((r) => r.code === code)!;
  const res = await post('/cds-services/opioid-order-sign/feedback', {
    feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason, ...(comment ? { userComment: comment } : {}) }, outcomeTimestamp: clock.toISOString() }],
  });
  expect(res.status).toBe(200);
}
const audit = (path: string, token: string | null = ADMIN) => {
  const r = svc.request.get(`/admin/audit${path}`);
  return token === null ? r : r.set('Authorization', `Bearer ${token}`);
};

describe('exceptions on file', () => {
  test('an override with a reason quiets the alert until it expires, then it is loud again', async () => {
    clock = new Date('2026-06-01T12:00:00Z');
    const patient = { id: 'exc-1', drafts: [oxycodone(2)] }; // 120 MME/day
    const loud = (await sign(patient)).find((c) => rule(c) === 'mme-90-reached')!;
    expect(loud.indicator).toBe('warning');
    await override(loud, 'stable-long-term', 'Stable for years, good function');

    clock = new Date(clock.getTime() + 10 * DAY);
    const quiet = await sign(patient, 'Practitioner/dr-b');
    expect(quiet.map(rule)).not.toContain('mme-90-reached');
    const info = quiet.find((c) => rule(c) === 'mme-justified')!;
    expect(info.indicator).toBe('info');
    expect(info.detail).toContain('Stable long-term therapy');
    // People are named, never referenced: with no Practitioner record in the call, "another prescriber".
    expect(info.detail).toContain('another prescriber');
    expect(info.detail).not.toContain('Practitioner/');
    expect(info.detail).toContain('30 August 2026');

    clock = new Date('2026-08-31T12:00:00Z');
    expect((await sign(patient)).map(rule)).toContain('mme-90-reached');
  });

  test('a material change (a higher dose than the one justified) brings the full alert back', async () => {
    clock = new Date('2026-06-01T12:00:00Z');
    const loud = (await sign({ id: 'exc-2', drafts: [oxycodone(2)] })).find((c) => rule(c) === 'mme-90-reached')!;
    await override(loud, 'taper-plan');
    expect((await sign({ id: 'exc-2', drafts: [oxycodone(2)] })).map(rule)).toContain('mme-justified');
    expect((await sign({ id: 'exc-2', drafts: [oxycodone(3)] })).map(rule)).toContain('mme-90-reached');
  });

  test('a PGx override quiets the same drug only', async () => {
    clock = new Date('2026-06-01T12:00:00Z');
    const patient = { id: 'exc-3', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] };
    const pgx = (await sign(patient)).find((c) => rule(c) === 'pgx-codeine-poor')!;
    await override(pgx, 'pgx-reviewed');
    expect((await sign(patient)).map(rule)).toEqual(expect.arrayContaining(['pgx-justified']));
    const tramadol = { id: 'draft-tramadol', rxnorm: '835603', display: 'Tramadol Hydrochloride 50 MG Oral Tablet', dose: 1, frequency: 4 };
    expect((await sign({ ...patient, drafts: [tramadol] })).map(rule)).toContain('pgx-tramadol-poor');
  });

  test('the same feedback posted twice is stored once, exception included', async () => {
    clock = new Date('2026-06-01T12:00:00Z');
    const card = (await sign({ id: 'exc-4', drafts: [oxycodone(2)] })).find((c) => rule(c) === 'mme-90-reached')!;
    await override(card, 'taper-plan');
    await override(card, 'taper-plan');
    expect(await svc.store.listFeedback({ patientId: 'exc-4' })).toHaveLength(1);
    expect(await svc.store.listExceptions({ patientId: 'exc-4' })).toHaveLength(1);
  });

  test('hundreds of concurrent feedback posts, with duplicates, are all stored exactly once', async () => {
    clock = new Date('2026-06-01T12:00:00Z');
    const cards: Card[] = [];
    for (let i = 0; i < 40; i++) cards.push(...(await sign({ id: `conc-${i}`, drafts: [oxycodone(2)] })));
    const posts = cards.flatMap((card) => {
      const item = { card: card.uuid, outcome: 'overridden', overrideReason: { reason: card.overrideReasons?.[0] }, outcomeTimestamp: clock.toISOString() };
      return [0, 1, 2].map(() => post('/cds-services/opioid-order-sign/feedback', { feedback: [item] }));
    });
    const results = await Promise.all(posts);
    expect(posts.length).toBeGreaterThanOrEqual(200);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const stored = (await svc.store.listFeedback({ limit: 10_000 })).filter((f) => f.patientId.startsWith('conc-'));
    expect(stored).toHaveLength(cards.length);
    expect(new Set(stored.map((s) => s.cardUuid)).size).toBe(cards.length);
  });
});

describe('audit API', () => {
  test('needs the admin token; CDS client tokens and no token are refused', async () => {
    expect((await audit('/exceptions', null)).status).toBe(401);
    expect((await audit('/exceptions', 'wrong-token-wrong-token-wrong')).status).toBe(401);
    expect((await audit('/exceptions', await svc.token('/admin/audit/exceptions'))).status).toBe(401);
  });

  test('lists exceptions and feedback by patient, rule, prescriber and period, as JSON and CSV', async () => {
    const byPatient = await audit('/exceptions?patient=exc-1');
    expect(byPatient.status).toBe(200);
    expect(byPatient.body.exceptions).toEqual([expect.objectContaining({ patientId: 'exc-1', reasonCode: 'stable-long-term', prescriber: 'Practitioner/dr-a', topic: 'mme' })]);
    const byRule = await audit('/feedback?rule=pgx-codeine-poor');
    expect(byRule.body.feedback.every((f: { ruleId: string }) => f.ruleId === 'pgx-codeine-poor')).toBe(true);
    expect(byRule.body.count).toBeGreaterThan(0);
    const byPrescriber = await audit('/exceptions?prescriber=Practitioner/dr-a&from=2026-05-01&to=2026-07-01');
    expect(byPrescriber.body.count).toBeGreaterThan(0);
    const none = await audit('/exceptions?from=2030-01-01');
    expect(none.body.count).toBe(0);
    const csv = await audit('/exceptions?patient=exc-1&format=csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.text.split('\r\n')[0]).toContain('patientId');
    expect(csv.text).toContain('stable-long-term');
  });

  test('the alert-fatigue report counts cards shown, accepted, overridden and reasons per rule', async () => {
    const res = await audit('/alert-report?from=2026-05-01&to=2026-09-30');
    expect(res.status).toBe(200);
    const row = res.body.rules.find((r: { ruleId: string }) => r.ruleId === 'mme-90-reached');
    expect(row.shown).toBeGreaterThan(40);
    expect(row.overridden).toBeGreaterThan(40);
    expect(row.reasons).toMatch(/(^| )stable-long-term:\d+/);
  });

  test('bad filters are a 400 naming the parameter', async () => {
    const res = await audit(`/feedback?from=yesterday&x=${randomUUID()}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('from');
  });
});

describe('PDMP review recorded from the card', () => {
  test('overriding the PDMP card with "PDMP reviewed" counts as a review for 90 days', async () => {
    clock = new Date('2026-06-01T12:00:00Z');
    const longTerm = { id: 'pdmp-active', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 1, frequency: 2, authoredDaysAgo: 200 };
    const patient = { id: 'pdmp-1', medications: [longTerm], drafts: [{ ...longTerm, id: 'pdmp-renewal', authoredDaysAgo: 0, priorPrescription: 'pdmp-active' }] };
    const card = (await sign(patient)).find((c) => rule(c) === 'pdmp-review-due')!;
    expect(card).toBeDefined();
    await override(card, 'pdmp-reviewed');
    expect((await sign(patient)).map(rule)).not.toContain('pdmp-review-due');
  });
});
