import type { Dosage, Medication, MedicationRequest } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { computeMmeSummary } from '../../../src/clinical/mme/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

const k = loadKnowledge().mme;
const k2018 = loadKnowledge({ MME_FACTOR_SETS: 'mme-factors-cdc-2022,mme-factors-cdc-2018' }).mme;
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';

interface Sig {
  dose?: number;
  high?: number;
  unit?: string;
  freq?: number;
  freqMax?: number;
  period?: number;
  periodUnit?: 'h' | 'd' | 'wk';
  prn?: boolean;
  timeOfDay?: string[];
  code?: string;
  sequence?: number;
  asObject?: boolean;
}

function dosage(s: Sig): Dosage {
  const dose = s.dose === undefined ? undefined : s.high ? { doseRange: { low: { value: s.dose, unit: s.unit ?? 'tablet' }, high: { value: s.high, unit: s.unit ?? 'tablet' } } } : { doseQuantity: { value: s.dose, unit: s.unit ?? 'tablet' } };
  const repeat: Record<string, unknown> = {};
  if (s.freq !== undefined) Object.assign(repeat, { frequency: s.freq, period: s.period ?? 1, periodUnit: s.periodUnit ?? 'd' });
  if (s.freqMax !== undefined) Object.assign(repeat, { frequencyMax: s.freqMax, period: s.period ?? 1, periodUnit: s.periodUnit ?? 'd' });
  if (s.timeOfDay) repeat.timeOfDay = s.timeOfDay;
  return {
    ...(s.sequence !== undefined ? { sequence: s.sequence } : {}),
    ...(Object.keys(repeat).length ? { timing: { repeat } } : s.code ? { timing: { code: { coding: [{ code: s.code }] } } } : {}),
    ...(s.prn ? { asNeededBoolean: true } : {}),
    ...(dose ? { doseAndRate: (s.asObject ? dose : [dose]) as never } : {}),
  };
}

function order(drug: { code?: string; text: string }, sigs: Sig | Sig[], extra: Partial<MedicationRequest> = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: extra.id ?? `o-${Math.random().toString(36).slice(2, 8)}`,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/p' },
    medicationCodeableConcept: { ...(drug.code ? { coding: [{ system: RX, code: drug.code, display: drug.text }] } : {}), text: drug.text },
    dosageInstruction: (Array.isArray(sigs) ? sigs : [sigs]).map(dosage),
    ...extra,
  };
}

const one = (o: MedicationRequest, knowledge = k) => computeMmeSummary({ draftOrders: [o], records: [] }, knowledge);

const OXY5 = { code: '1049621', text: 'Oxycodone Hydrochloride 5 MG Oral Tablet' };
const OXY10 = { code: '1049683', text: 'Oxycodone Hydrochloride 10 MG Oral Tablet' };
const OXY_ER30 = { code: '1049574', text: '12 HR Oxycodone Hydrochloride 30 MG Extended Release Oral Tablet' };
const FENT75 = { code: '197696', text: '72 HR Fentanyl 0.075 MG/HR Transdermal System' };
const FENT25 = { code: '245134', text: '72 HR Fentanyl 0.025 MG/HR Transdermal System' };
const METH10 = { code: '864706', text: 'Methadone Hydrochloride 10 MG Oral Tablet' };
const APAP_COD30 = { code: '993781', text: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet' };
const TRAM50 = { code: '835603', text: 'Tramadol Hydrochloride 50 MG Oral Tablet' };
const MORPH_SOL = { code: '892589', text: 'Morphine Sulfate 2 MG/ML Oral Solution' };

describe('worked examples (CDC 2022 factors)', () => {
  test.each([
    ['oxycodone 10 mg, 1 tab q6h', order(OXY10, { dose: 1, freq: 1, period: 6, periodUnit: 'h' }), 60],
    ['oxycodone 30 mg ER q12h', order(OXY_ER30, { dose: 1, freq: 1, period: 12, periodUnit: 'h' }), 90],
    ['fentanyl 75 mcg/h patch', order(FENT75, { dose: 1, unit: 'patch', freq: 1, period: 72, periodUnit: 'h' }), 180],
    ['methadone 10 mg, 2 tabs TID', order(METH10, { dose: 2, freq: 3 }), 282],
    ['hydromorphone 2 mg q4h', order({ code: '897696', text: 'Hydromorphone Hydrochloride 2 MG Oral Tablet' }, { dose: 1, freq: 1, period: 4, periodUnit: 'h' }), 60],
    ['APAP 300 / codeine 30 mg, 2 tabs q4h', order(APAP_COD30, { dose: 2, freq: 1, period: 4, periodUnit: 'h' }), 54],
    ['tramadol 50 mg q6h', order(TRAM50, { dose: 1, freq: 1, period: 6, periodUnit: 'h' }), 40],
  ])('%s -> %s MME/day', (_name, o, mme) => {
    const s = one(o);
    expect(s.complete).toBe(true);
    expect(s.total).toBeCloseTo(mme, 5);
  });
});

describe('more orders', () => {
  test.each([
    ['codeine sulfate 30 mg QID (0.15)', order({ code: '997287', text: 'Codeine Sulfate 30 MG Oral Tablet' }, { dose: 1, freq: 4 }), 18],
    ['tapentadol 50 mg q6h (0.4)', order({ text: 'Tapentadol 50 MG Oral Tablet' }, { dose: 1, freq: 4 }), 80],
    ['hydrocodone/APAP 5/325, 1 tab q6h (1)', order({ text: 'Hydrocodone Bitartrate 5 MG / Acetaminophen 325 MG Oral Tablet' }, { dose: 1, freq: 4 }), 20],
    ['hydrocodone 10 / APAP 300 by product code', order({ code: '856980', text: 'acetaminophen 300 MG / hydrocodone bitartrate 10 MG Oral Tablet' }, { dose: 1, freq: 4 }), 40],
    ['ibuprofen 200 / hydrocodone 7.5 by name', order({ text: 'Hydrocodone Bitartrate 7.5 MG / Ibuprofen 200 MG Oral Tablet' }, { dose: 1, freq: 3 }), 22.5],
    ['oxycodone 5 / APAP 325 (Percocet) by name', order({ text: 'Oxycodone Hydrochloride 5 MG / Acetaminophen 325 MG Oral Tablet [Percocet]' }, { dose: 2, freq: 4 }), 60],
    ['morphine 15 mg IR q4h (1)', order({ code: '892582', text: 'Morphine Sulfate 15 MG Oral Tablet' }, { dose: 1, freq: 6 }), 90],
    ['oxymorphone 5 mg q6h (3)', order({ text: 'Oxymorphone Hydrochloride 5 MG Oral Tablet' }, { dose: 1, freq: 4 }), 60],
    ['fentanyl 25 mcg/h patch = 60', order(FENT25, { dose: 1, unit: 'patch', freq: 1, period: 3, periodUnit: 'd' }), 60],
    ['two 25 mcg/h patches = 120', order(FENT25, { dose: 2, unit: 'patch', freq: 1, period: 3, periodUnit: 'd' }), 120],
    ['fentanyl patch with no timing still counts (worn continuously)', order(FENT25, { dose: 1, unit: 'patch' }), 60],
    ['fentanyl patch by name for a product not in the table', order({ text: '72 HR Fentanyl 0.0375 MG/HR Transdermal System' }, { dose: 1, unit: 'patch' }), 90],
    ['morphine 2 mg/mL, 5 mL q4h', order(MORPH_SOL, { dose: 5, unit: 'mL', freq: 6 }), 60],
    ['morphine liquid dosed in mg', order(MORPH_SOL, { dose: 10, unit: 'mg', freq: 6 }), 60],
    ['oxycodone dosed in mg', order(OXY5, { dose: 10, unit: 'mg', freq: 2 }), 30],
    ['PRN at maximum frequency (frequencyMax)', order(OXY5, { dose: 1, freq: 1, freqMax: 2, period: 4, periodUnit: 'h', prn: true }), 90],
    ['doseRange counts the high end', order(OXY5, { dose: 1, high: 2, freq: 1, period: 4, periodUnit: 'h', prn: true }), 90],
    ['timeOfDay count', order(OXY10, { dose: 1, timeOfDay: ['08:00:00', '20:00:00'] }), 30],
    ['timing code BID', order(OXY10, { dose: 1, code: 'BID' }), 30],
    ['per week', order(OXY10, { dose: 1, freq: 14, periodUnit: 'wk' }), 30],
    ['per day with period 2 days', order(OXY10, { dose: 1, freq: 2, period: 2, periodUnit: 'd' }), 15],
    ['doseAndRate as an object', order(OXY10, { dose: 1, freq: 4, asObject: true }), 60],
    ['split doses on the same day are summed', order(OXY10, [{ dose: 2, timeOfDay: ['08:00:00'] }, { dose: 1, timeOfDay: ['20:00:00'] }]), 45],
    ['a taper counts its largest step', order(OXY10, [{ dose: 2, freq: 3, sequence: 1 }, { dose: 1, freq: 3, sequence: 2 }]), 90],
    ['capsules', order({ text: 'Tramadol Hydrochloride 50 MG Oral Capsule' }, { dose: 2, unit: 'capsule', freq: 2 }), 40],
    ['UCUM {tbl} unit', order(OXY5, { dose: 1, unit: '{tbl}', freq: 4 }), 30],
  ])('%s -> %s MME/day', (_name, o, mme) => {
    const s = one(o);
    expect(s.incomplete).toEqual([]);
    expect(s.total).toBeCloseTo(mme, 5);
  });

  test('PRN orders are marked', () => {
    const s = one(order(OXY5, { dose: 1, freq: 4, prn: true }));
    expect(s.orders[0]).toMatchObject({ prn: true, status: 'counted', factor: 1.5, dailyAmount: '20 mg', mme: 30 });
  });

  test('a Medication resource with ingredient strength (contained)', () => {
    const o: MedicationRequest = {
      ...order({ text: 'x' }, { dose: 1, freq: 4 }),
      medicationCodeableConcept: undefined,
      medicationReference: { reference: '#m1' },
      contained: [
        {
          resourceType: 'Medication',
          id: 'm1',
          code: { text: 'Oxycodone 5 mg tablet (compounded)' },
          ingredient: [{ itemCodeableConcept: { coding: [{ system: RX, code: '7804', display: 'oxycodone' }] }, strength: { numerator: { value: 5, code: 'mg' }, denominator: { value: 1, code: 'TAB' } } }],
        },
      ],
    };
    const resolve = (ref: string, container?: MedicationRequest) => container?.contained?.find((c) => `#${c.id}` === ref) as Medication | undefined;
    const s = computeMmeSummary({ draftOrders: [o], records: [], resolveMedication: resolve as never }, k);
    expect(s.total).toBe(30);
  });

  test('a referenced Medication resource in prefetch', () => {
    const medication: Medication = {
      resourceType: 'Medication',
      id: 'morph',
      code: { text: 'Morphine oral solution' },
      ingredient: [{ itemCodeableConcept: { text: 'Morphine sulfate' }, strength: { numerator: { value: 10, code: 'mg' }, denominator: { value: 5, code: 'mL' } } }],
    };
    const o: MedicationRequest = { ...order({ text: 'x' }, { dose: 5, unit: 'mL', freq: 4 }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/morph' } };
    const s = computeMmeSummary({ draftOrders: [o], records: [], resolveMedication: (ref) => (ref === 'Medication/morph' ? medication : undefined) }, k);
    expect(s.total).toBe(40);
  });
});

describe('factor sets', () => {
  const meperidine = order({ text: 'Meperidine Hydrochloride 50 MG Oral Tablet' }, { dose: 1, freq: 4 });
  test('meperidine has no 2022 factor: the total is incomplete, never 0', () => {
    const s = one(meperidine);
    expect(s.complete).toBe(false);
    expect(s.incomplete[0]).toMatchObject({ ingredient: 'meperidine', mme: null, status: 'incomplete' });
    expect(s.incomplete[0]!.reason).toContain('no conversion factor for meperidine');
  });
  test('with the 2018 set selected as a fallback it converts at 0.1', () => {
    const s = one(meperidine, k2018);
    expect(s.total).toBe(20);
    expect(s.orders[0]!.factorSet).toContain('mme-factors-cdc-2018');
  });
  test('buprenorphine patch for pain: listed with the reason, left out of the total, and not an incomplete total', () => {
    const s = one(order({ text: '7 DAY Buprenorphine 0.01 MG/HR Transdermal System' }, { dose: 1, unit: 'patch' }));
    expect(s).toMatchObject({ complete: true, incomplete: [], draftsComplete: true, draftsCounted: false, painOpioidDrafts: 1 });
    expect(s.notComparable[0]).toMatchObject({ status: 'not-comparable', mme: null });
    expect(s.notComparable[0]!.reason).toContain('partial agonist');
  });
  test('buccal buprenorphine film for pain (Belbuca) is a pain product, not opioid use disorder treatment', () => {
    const s = one(order({ text: 'Buprenorphine 150 MCG Buccal Film [Belbuca]' }, { dose: 1, unit: 'film', freq: 2 }));
    expect(s.notComparable).toHaveLength(1);
    expect(s.painOpioidDrafts).toBe(1);
  });
  test.each([
    ['buprenorphine sublingual tablet', 'Buprenorphine 8 MG Sublingual Tablet'],
    ['buprenorphine/naloxone buccal film', 'Buprenorphine 6.3 MG / Naloxone 1 MG Buccal Film [Bunavail]'],
    ['extended-release injection', 'buprenorphine 300 MG in 1.5 ML Prefilled Syringe [Sublocade]'],
    ['implant', 'buprenorphine 74.2 MG Drug Implant [Probuphine]'],
  ])('%s treats opioid use disorder: not a pain opioid, no MME row', (_name, text) => {
    const s = one(order({ text }, { dose: 1, unit: 'each', freq: 1 }));
    expect(s).toMatchObject({ total: 0, complete: true, orders: [], painOpioidDrafts: 0 });
  });
  test('buprenorphine/naloxone for opioid use disorder is not a pain opioid', () => {
    const s = one(order({ code: '1010604', text: 'Buprenorphine 8 MG / Naloxone 2 MG Sublingual Film' }, { dose: 2, unit: 'film', freq: 1 }));
    expect(s).toMatchObject({ total: 0, complete: true, orders: [], painOpioidDrafts: 0 });
  });
});

describe('missing pieces make the total incomplete', () => {
  test.each([
    ['no strength in the name', order({ text: 'Oxycodone oral tablet' }, { dose: 1, freq: 4 }), 'could not be identified'],
    ['no frequency', order(OXY5, { dose: 1 }), 'no frequency'],
    ['no dose', order(OXY5, { freq: 4 }), 'no dose amount'],
    ['no dosage instruction', { ...order(OXY5, {}), dosageInstruction: [] }, 'no dosage instructions'],
    ['mg dose on a combination product', order(APAP_COD30, { dose: 30, unit: 'mg', freq: 4 }), 'ambiguous'],
    ['liquid dosed in tablets', order(MORPH_SOL, { dose: 1, unit: 'tablet', freq: 4 }), 'give it in mL'],
    ['ingredient code only', order({ code: '7804', text: 'oxycodone' }, { dose: 1, freq: 4 }), 'could not be identified'],
  ])('%s', (_name, o, reason) => {
    const s = one(o);
    expect(s.complete).toBe(false);
    expect(s.incomplete).toHaveLength(1);
    expect(s.incomplete[0]!.mme).toBeNull();
    expect(s.incomplete[0]!.reason).toContain(reason);
  });

  test('the known part is still shown, as a lower bound', () => {
    const s = computeMmeSummary({ draftOrders: [order(OXY10, { dose: 1, freq: 4 }), order({ text: 'Oxycodone oral tablet' }, { dose: 1, freq: 4 })], records: [] }, k);
    expect(s).toMatchObject({ total: 60, complete: false });
  });

  test('acetaminophen alone is not an opioid and adds nothing', () => {
    expect(one(order({ code: '198440', text: 'Acetaminophen 500 MG Oral Tablet' }, { dose: 1, freq: 4 }))).toMatchObject({ total: 0, complete: true, orders: [] });
  });
});

describe('each order once', () => {
  const active = order(OXY10, { dose: 1, freq: 4 }, { id: 'a1', status: 'active' });
  test('active orders and drafts add up; existing is before this call', () => {
    const s = computeMmeSummary({ draftOrders: [order(OXY5, { dose: 1, freq: 4 }, { id: 'd1', status: 'draft' })], records: [active] }, k);
    expect(s).toMatchObject({ total: 90, existing: 60, added: 30 });
  });
  test('the same order in prefetch and in draftOrders counts once', () => {
    const s = computeMmeSummary({ draftOrders: [{ ...active, status: 'draft' }], records: [active] }, k);
    expect(s).toMatchObject({ total: 60, existing: 0 });
    expect(s.orders).toHaveLength(1);
  });
  test('a draft that replaces an active order replaces it', () => {
    const renewal = order(OXY10, { dose: 1, freq: 4 }, { id: 'd2', status: 'draft', priorPrescription: { reference: 'MedicationRequest/a1' } });
    expect(computeMmeSummary({ draftOrders: [renewal], records: [active] }, k)).toMatchObject({ total: 60, existing: 60, added: 0 });
  });
  test('stopped, completed and plan orders are not counted', () => {
    const records = [order(OXY10, { dose: 1, freq: 4 }, { status: 'stopped' }), order(OXY10, { dose: 1, freq: 4 }, { status: 'completed' }), order(OXY10, { dose: 1, freq: 4 }, { intent: 'plan' })];
    expect(computeMmeSummary({ draftOrders: [], records }, k)).toMatchObject({ total: 0, orders: [] });
  });
  test('a MedicationStatement reporting an active order is not counted twice', () => {
    const statement = { resourceType: 'MedicationStatement' as const, id: 's1', status: 'active' as const, subject: { reference: 'Patient/p' }, basedOn: [{ reference: 'MedicationRequest/a1' }], medicationCodeableConcept: active.medicationCodeableConcept, dosage: active.dosageInstruction };
    expect(computeMmeSummary({ draftOrders: [], records: [active, statement] }, k)).toMatchObject({ total: 60 });
  });
});
