import type { MedicationRequest } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { computePainFacts } from '../../../src/clinical/facts/index.js';
import { buildPatientContext } from '../../../src/clinical/patient-context.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** order.doseMg and order.intervalHours: what the CYP2D6 card's what-if link passes to the app (issue 23). */
const knowledge = loadKnowledge();
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const draft = (code: string, text: string, dosage: MedicationRequest['dosageInstruction']): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  id: 'draft-1',
  status: 'draft',
  intent: 'order',
  subject: { reference: 'Patient/p' },
  medicationCodeableConcept: { coding: [{ system: RX, code }], text },
  dosageInstruction: dosage,
});
const everyHours = (hours: number, tablets = 1) => [{ timing: { repeat: { frequency: 1, period: hours, periodUnit: 'h' as const } }, doseAndRate: [{ doseQuantity: { value: tablets, unit: 'tablet' } }] }];

function orderFacts(order: MedicationRequest) {
  const context = buildPatientContext({
    now: new Date('2026-06-01T12:00:00Z'),
    patientId: 'p',
    userId: 'Practitioner/1',
    draftOrders: [order],
    selections: undefined,
    prefetchResources: [[{ resourceType: 'Patient', id: 'p', birthDate: '1970-01-01' }]],
    unavailable: [],
  });
  return computePainFacts(context, knowledge).orders[0]!.facts;
}

describe('the draft order as a regimen', () => {
  test('a codeine combination tablet, one every 6 h: 30 mg of codeine phosphate every 6 h', () => {
    const f = orderFacts(draft('993781', 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet', everyHours(6)));
    expect(f['order.doseMg']).toBe(30);
    expect(f['order.intervalHours']).toBe(6);
  });

  test('two tramadol 50 mg tablets four times a day: 100 mg every 6 h', () => {
    const f = orderFacts(draft('835603', 'Tramadol Hydrochloride 50 MG Oral Tablet', [{ timing: { repeat: { frequency: 4, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 2, unit: 'tablet' } }] }]));
    expect(f['order.doseMg']).toBe(100);
    expect(f['order.intervalHours']).toBe(6);
  });

  test('no sig: both unknown (null), never 0', () => {
    const f = orderFacts(draft('835603', 'Tramadol Hydrochloride 50 MG Oral Tablet', undefined));
    expect(f['order.doseMg']).toBeNull();
    expect(f['order.intervalHours']).toBeNull();
  });
});
