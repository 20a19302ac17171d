import type { Dosage, MedicationRequest } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { computeMmeSummary, isCountUnit } from '../../../src/clinical/mme/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** Clinical review (issues 13 and 14): transmucosal fentanyl, parenteral orders and UCUM annotation units. */
const k = loadKnowledge().mme;
const k2018 = loadKnowledge({ MME_FACTOR_SETS: 'mme-factors-cdc-2022,mme-factors-cdc-2018' }).mme;
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';

function order(text: string, dose: { value: number; unit?: string; code?: string }, perDay: number, extra: Partial<Dosage> = {}, code?: string): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: `o-${Math.random().toString(36).slice(2, 8)}`,
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p' },
    medicationCodeableConcept: { ...(code ? { coding: [{ system: RX, code, display: text }] } : {}), text },
    dosageInstruction: [{ timing: { repeat: { frequency: perDay, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: dose }], ...extra }],
  };
}
const one = (o: MedicationRequest, knowledge = k) => computeMmeSummary({ draftOrders: [o], records: [] }, knowledge);

describe('transmucosal fentanyl with the CDC 2018 factors (per microgram)', () => {
  test.each([
    ['buccal tablet (Fentora), 0.13/mcg', order('fentanyl 0.1 MG Buccal Tablet [Fentora]', { value: 1, unit: 'tablet' }, 4, {}, '668622'), 52],
    ['lozenge (Actiq), 0.13/mcg', order('fentanyl 0.2 MG Oral Lozenge [Actiq]', { value: 1, unit: 'lozenge' }, 4, {}, '261106'), 104],
    ['sublingual tablet, 0.13/mcg', order('fentanyl 0.1 MG Sublingual Tablet', { value: 1, unit: 'tablet' }, 4), 52],
    ['buccal film, 0.18/mcg', order('fentanyl 0.2 MG Buccal Film', { value: 1, unit: 'film' }, 4), 144],
    ['sublingual spray (Subsys), 0.18/mcg', order('fentanyl 0.1 MG/ACTUAT Sublingual Spray', { value: 1, unit: 'spray' }, 4), 72],
    ['nasal spray (Lazanda), 0.16/mcg', order('fentanyl 0.1 MG/ACTUAT Nasal Spray', { value: 1, unit: 'spray' }, 4), 64],
  ])('%s', (_name, o, mme) => {
    const s = one(o, k2018);
    expect(s.complete).toBe(true);
    expect(s.total).toBe(mme);
    expect(s.orders[0]!.factorSet).toContain('mme-factors-cdc-2018');
  });

  test('without the 2018 set, a buccal tablet makes the total incomplete', () => {
    const s = one(order('fentanyl 0.1 MG Buccal Tablet [Fentora]', { value: 1, unit: 'tablet' }, 4, {}, '668622'));
    expect(s.complete).toBe(false);
    expect(s.incomplete[0]!.reason).toContain('fentanyl by the buccal route');
  });
});

describe('parenteral opioids are never converted with oral factors', () => {
  test('an injectable solution makes the total incomplete', () => {
    const s = one(order('Morphine Sulfate 4 MG/ML Injectable Solution', { value: 1, unit: 'mL' }, 6));
    expect(s).toMatchObject({ complete: false, total: 0 });
    expect(s.incomplete[0]!.reason).toContain('parenteral');
  });
  test('an order whose route is intravenous is incomplete even when the product name does not say so', () => {
    const route = { coding: [{ system: 'http://snomed.info/sct', code: '47625008', display: 'Intravenous route' }] };
    const s = one(order('Hydromorphone Hydrochloride 2 MG/ML', { value: 0.5, unit: 'mL' }, 6, { route }));
    expect(s.complete).toBe(false);
    expect(s.incomplete[0]!.reason).toContain('parenteral');
  });
  test('oral morphine solution still converts', () => {
    expect(one(order('Morphine Sulfate 2 MG/ML Oral Solution', { value: 5, unit: 'mL' }, 6)).total).toBe(60);
  });
});

describe('UCUM annotations are dose units', () => {
  test.each(['{pill}', '{tbl}', '{tablet}', '{Tablet}', '{tablet(s)}', '{capsule}', '{cap}', '{patch}', '{spray}', '{lozenge}', '1', 'tablet', 'TAB'])('%s counts one unit of the dose form', (unit) => {
    expect(isCountUnit(unit)).toBe(true);
  });
  test.each(['{scoop}', '{dose}', 'mL', 'g', '{mg}'])('%s is not a count', (unit) => {
    expect(isCountUnit(unit)).toBe(false);
  });
  test('oxycodone 10 mg, 1 {capsule} 4 times a day = 60 MME', () => {
    expect(one(order('Oxycodone Hydrochloride 10 MG Oral Capsule', { value: 1, code: '{capsule}', unit: 'capsule' }, 4)).total).toBe(60);
  });
  test('a UCUM code with a dose-form code from another system falls back to the readable unit', () => {
    expect(one(order('Oxycodone Hydrochloride 10 MG Oral Tablet', { value: 1, code: 'C48542', unit: 'Tablet' }, 4)).total).toBe(60);
  });
  test('a dose in an unknown annotation makes the total incomplete, never 0', () => {
    const s = one(order('Oxycodone Hydrochloride 10 MG Oral Tablet', { value: 1, unit: '{scoop}' }, 4));
    expect(s).toMatchObject({ complete: false, draftsComplete: false });
  });
});
