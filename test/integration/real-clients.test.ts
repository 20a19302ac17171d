import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hookBody, NOW, OXYCODONE_DRAFT, CODEINE_DRAFT } from '../helpers/hooks.js';
import { PUBLIC_BASE_URL, startTestService, type TestService } from '../helpers/service.js';

/**
 * What real CDS clients send, as met with the CDS Hooks Sandbox: tokens with a
 * `jku` header pointing at the client's own JWKS while the hospital pinned the
 * key, prefetch keys left out and no fhirAuthorization, elements in a shape
 * the rules never read, dose units as UCUM annotations, clients applying only
 * the first action of a suggestion, and a prefetch holding other patients'
 * records.
 */
type CardJson = { summary: string; detail?: string; indicator: string; suggestions?: { actions: { type: string }[] }[]; extension: Record<string, { ruleId: string; values?: Record<string, unknown> }> };
const ruleOf = (c: CardJson) => c.extension['pain-cds-provenance']!.ruleId;

let svc: TestService;
const logs: string[] = [];
beforeAll(async () => {
  svc = await startTestService({ now: () => NOW, logs });
});
afterAll(() => svc.close());

const post = (path: string, body: unknown, token?: string) => svc.post(path, body, token);

const OTHER = 'other-patient';
/** Another patient's records: active cancer and 140 MME/day of morphine, as the sandbox once mixed in. */
const otherPatientsRecords = [
  {
    resourceType: 'Condition',
    id: 'other-cancer',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C34.90', display: 'Malignant neoplasm of lung' }] },
    subject: { reference: `http://sandbox.example/fhir/Patient/${OTHER}` },
  },
  {
    resourceType: 'MedicationRequest',
    id: 'other-morphine',
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${OTHER}` },
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '892582', display: 'Morphine Sulfate 15 MG Oral Tablet' }] },
    dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 3, periodUnit: 'h' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }],
  },
];

function withOtherPatient(body: ReturnType<typeof hookBody>) {
  const prefetch = structuredClone(body.prefetch) as Record<string, { entry?: { resource: unknown }[] }>;
  prefetch.conditions!.entry = [...(prefetch.conditions!.entry ?? []), { resource: otherPatientsRecords[0] }];
  prefetch.medicationRequests!.entry = [...(prefetch.medicationRequests!.entry ?? []), { resource: otherPatientsRecords[1] }];
  return { ...body, prefetch };
}

describe('never another patient\'s data', () => {
  test('a prefetch mixing in another patient\'s cancer and opioids changes no card about this patient', async () => {
    const patient = { id: 'mixed', drafts: [OXYCODONE_DRAFT] };
    const clean = await post('/cds-services/opioid-order-sign', hookBody('order-sign', patient));
    const mixed = await post('/cds-services/opioid-order-sign', withOtherPatient(hookBody('order-sign', patient)));
    expect(mixed.status).toBe(200);
    const cleanRules = clean.body.cards.map(ruleOf);
    const mixedRules = mixed.body.cards.map(ruleOf);
    // The polluted keys are not used: nothing of the other patient's shows, and the cards say what could not be checked
    // (the unavailable-data card, and the dose card saying the total covers only this call's orders).
    const unavailability = new Set(['data-unavailable', 'mme-incomplete']);
    expect(mixedRules).not.toContain('mme-out-of-scope');
    expect(mixedRules.filter((r: string) => !unavailability.has(r))).toEqual(cleanRules.filter((r: string) => !unavailability.has(r)));
    expect(mixedRules).toContain('data-unavailable');
    const text = JSON.stringify(mixed.body.cards);
    expect(text).not.toMatch(/lung|Morphine Sulfate 15|140/);
    const warning = logs.map((l) => JSON.parse(l)).find((l) => l.msg?.includes('another patient'));
    expect(warning).toMatchObject({ level: 40, keys: expect.arrayContaining(['conditions', 'medicationRequests']) });
  });

  test('references to this patient in absolute or versioned form are kept', async () => {
    const body = hookBody('order-sign', { id: 'absolute', drafts: [{ ...OXYCODONE_DRAFT, dose: 2 }] });
    // 2 x 5 mg oxycodone every 6 hours = 60 MME/day: the out-of-scope information card shows from 50.
    const cancer = { ...otherPatientsRecords[0], id: 'own-cancer', subject: { reference: 'https://ehr.example/fhir/Patient/absolute/_history/3' } };
    const prefetch = structuredClone(body.prefetch) as Record<string, { entry?: { resource: unknown }[] }>;
    prefetch.conditions!.entry = [{ resource: cancer }];
    const res = await post('/cds-services/opioid-order-sign', { ...body, prefetch });
    expect(res.body.cards.map(ruleOf)).toContain('mme-out-of-scope');
  });

  test('a Patient resource with another id is not this patient', async () => {
    const body = hookBody('patient-view', { id: 'me' });
    const res = await post('/cds-services/opioid-patient-view', { ...body, prefetch: { ...body.prefetch, patient: { resourceType: 'Patient', id: OTHER, birthDate: '2020-01-01' } } });
    expect(res.status).toBe(200);
    const card = res.body.cards.find((c: CardJson) => ruleOf(c) === 'data-unavailable-chart');
    expect(card.detail).toContain('patient demographics');
  });
});

describe('unavailable is not absent', () => {
  test('patient-view with nothing readable says what could not be checked instead of an empty list', async () => {
    const body = hookBody('patient-view', { id: 'unreadable' });
    const res = await post('/cds-services/opioid-patient-view', { ...body, prefetch: { patient: body.prefetch.patient } });
    expect(res.status).toBe(200);
    expect(res.body.cards.map(ruleOf)).toEqual(['data-unavailable-chart']);
    expect(res.body.cards[0].summary).toMatch(/could not be done/);
  });

  test('a codeine order with the laboratory results unavailable gets no "no CYP2D6 result on file" card', async () => {
    const body = hookBody('order-sign', { id: 'no-labs', drafts: [CODEINE_DRAFT] });
    const prefetch: Record<string, unknown> = { ...body.prefetch };
    delete prefetch.observations;
    const res = await post('/cds-services/opioid-order-sign', { ...body, prefetch });
    const rules = res.body.cards.map(ruleOf);
    expect(rules).not.toContain('pgx-pretest-no-result');
    expect(rules).toContain('data-unavailable');
  });

  test('the same order with the results read and none found does get the pre-test card', async () => {
    const res = await post('/cds-services/opioid-order-sign', hookBody('order-sign', { id: 'labs-read', drafts: [CODEINE_DRAFT] }));
    expect(res.body.cards.map(ruleOf)).toContain('pgx-pretest-no-result');
  });
});

describe('a tolerant reader', () => {
  test('MedicationRequest.category sent as one object (as the sandbox does) is read, not a 400', async () => {
    const body = hookBody('order-select', { id: 'category', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] });
    const draft = (body.context.draftOrders as { entry: { resource: Record<string, unknown> }[] }).entry[0]!.resource;
    draft.category = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient' }] };
    const res = await post('/cds-services/opioid-order-select', body);
    expect(res.status).toBe(200);
    expect(res.body.cards.map(ruleOf)).toContain('pgx-codeine-poor');
  });

  test('an element the rules read keeps its strict type check', async () => {
    const body = hookBody('order-select', { id: 'strict', drafts: [CODEINE_DRAFT] });
    const draft = (body.context.draftOrders as { entry: { resource: Record<string, unknown> }[] }).entry[0]!.resource;
    draft.status = 7;
    const res = await post('/cds-services/opioid-order-select', body);
    expect(res.status).toBe(400);
  });
});

describe('suggestions that clients apply correctly', () => {
  test('every replacement creates the new order before it removes the draft, so a client applying only the first action keeps an order', async () => {
    const res = await post('/cds-services/opioid-order-select', hookBody('order-select', { id: 'replace', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }));
    const card = res.body.cards.find((c: CardJson) => ruleOf(c) === 'pgx-codeine-poor');
    expect(card.suggestions.length).toBeGreaterThan(0);
    for (const s of card.suggestions as { actions: { type: string }[] }[]) {
      expect(s.actions[0]!.type).toBe('create');
      // Applying the actions in order never leaves the patient with no order in between.
      const types = s.actions.map((a) => a.type);
      expect(types.indexOf('create')).toBeLessThan(types.includes('delete') ? types.indexOf('delete') : Infinity);
    }
  });
});

/** A token signed with the pinned test key, carrying a `jku` header pointing elsewhere, as the CDS Hooks Sandbox signs. */
const sandboxStyleToken = (path: string) => svc.clients.es.token(`${PUBLIC_BASE_URL}${path}`, { header: { jku: 'https://sandbox.cds-hooks.org/.well-known/jwks.json' } });

describe('a client that signs with a jku header while the hospital pinned its key', () => {
  test('the pinned key verifies the token and the jku is never used', async () => {
    const path = '/cds-services/opioid-order-select';
    const token = await sandboxStyleToken(path);
    const res = await post(path, hookBody('order-select', { id: 'jku', cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] }), token);
    expect(res.status).toBe(200);
    expect(res.body.cards.map(ruleOf)).toContain('pgx-codeine-poor');
  });
});

describe('a call as the CDS Hooks Sandbox sends it', () => {
  test('ES384 with a foreign jku, prefetch keys left out and no fhirAuthorization, a category object, {pill} doses: the right cards', async () => {
    const path = '/cds-services/opioid-order-select';
    const token = await sandboxStyleToken(path);
    const body = hookBody('order-select', { id: 'sandbox-like', cyp2d6: '*4/*4', drafts: [{ ...CODEINE_DRAFT, unit: '{pill}' }] });
    const draft = (body.context.draftOrders as { entry: { resource: Record<string, unknown> }[] }).entry[0]!.resource;
    draft.category = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'community' }] };
    // The Sandbox fills only the templates it can: here the patient and the laboratory results.
    const { patient, observations } = body.prefetch as Record<string, unknown>;
    const res = await post(path, { ...body, prefetch: { patient, observations } }, token);
    expect(res.status).toBe(200);
    const cards = res.body.cards as CardJson[];
    expect(cards.map(ruleOf)).toEqual(expect.arrayContaining(['pgx-codeine-poor', 'data-unavailable', 'mme-incomplete']));
    const pgx = cards.find((c) => ruleOf(c) === 'pgx-codeine-poor')!;
    expect(pgx.suggestions!.every((s) => s.actions[0]!.type === 'create')).toBe(true);
    // One {pill} of 30 mg codeine every 6 hours: 4 x 30 mg x 0.15 = 18 MME/day added (never 0); without the medication list the card says the total is only what this order adds.
    const dose = cards.find((c) => ruleOf(c) === 'mme-incomplete')!;
    expect(dose.extension['pain-cds-provenance']!.values).toMatchObject({ 'mme.added': 18, 'mme.draftsComplete': true });
    expect(JSON.stringify(cards)).not.toMatch(/adds 0 MME|no CYP2D6 result/i);
  });
});
