import type { MedicationRequest } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { mmeHistory } from '../../../src/clinical/mme/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/**
 * The SMART app's dose history: total daily MME at the end of each of the
 * last six months, from orders of any status, with what cannot be known said.
 */
const k = loadKnowledge().mme;
const NOW = new Date('2026-11-25T12:00:00Z');
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** Oxycodone 10 mg every 6 h = 40 mg/day = 60 MME/day (factor 1.5). */
function oxycodone(id: string, status: MedicationRequest['status'], authoredOn: string | undefined, dispenseRequest?: MedicationRequest['dispenseRequest']): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status,
    intent: 'order',
    subject: { reference: 'Patient/p' },
    ...(authoredOn ? { authoredOn } : {}),
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet' }] },
    dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 6, periodUnit: 'h' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }],
    ...(dispenseRequest ? { dispenseRequest } : {}),
  };
}
const months = (orders: MedicationRequest[]) => mmeHistory(orders, NOW, k).months;

describe('MME history', () => {
  test('six month-end points, oldest first, the current month ending today', () => {
    expect(months([]).map((m) => m.month)).toEqual(['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11']);
    expect(months([]).every((m) => m.mme === 0 && m.complete)).toBe(true);
  });

  test('an active order counts from when it was written; a finished one until its validity or supply ends', () => {
    const active = oxycodone('active', 'active', '2026-08-15');
    const validity = oxycodone('validity', 'stopped', '2026-06-10', { validityPeriod: { start: '2026-06-10', end: '2026-07-15' } });
    // 30 days x (1 + 2 refills) = 90 days from 2026-06-20: covers June, July and August ends, not September's.
    const supply = oxycodone('supply', 'completed', '2026-06-20', { expectedSupplyDuration: { value: 30, code: 'd' }, numberOfRepeatsAllowed: 2 });
    expect(months([active]).map((m) => m.mme)).toEqual([0, 0, 60, 60, 60, 60]);
    expect(months([validity]).map((m) => m.mme)).toEqual([60, 0, 0, 0, 0, 0]);
    expect(months([supply]).map((m) => m.mme)).toEqual([60, 60, 60, 0, 0, 0]);
    expect(months([active, validity, supply]).map((m) => m.mme)).toEqual([120, 60, 120, 60, 60, 60]);
  });

  test('cancelled, entered-in-error and draft orders never count; non-opioids are ignored', () => {
    const never = (['cancelled', 'entered-in-error', 'draft'] as const).map((s) => oxycodone(s, s, '2026-07-01'));
    const acetaminophen: MedicationRequest = { ...oxycodone('apap', 'active', '2026-07-01'), medicationCodeableConcept: { coding: [{ system: RXNORM, code: '198440', display: 'Acetaminophen 500 MG Oral Tablet' }] } };
    const history = mmeHistory([...never, acetaminophen], NOW, k);
    expect(history.months.every((m) => m.mme === 0 && m.complete)).toBe(true);
    expect(history.unknown).toEqual([]);
  });

  test('unknown stays unknown: no end, no start or no MME marks the months it may cover incomplete and says why', () => {
    const noEnd = oxycodone('no-end', 'completed', '2026-09-10');
    const history = mmeHistory([noEnd], NOW, k);
    expect(history.months.map((m) => m.complete)).toEqual([true, true, true, false, false, false]);
    expect(history.unknown).toEqual([{ ref: 'MedicationRequest/no-end', drug: expect.stringContaining('Oxycodone'), reason: 'completed, with no end date or supply duration' }]);

    const noStart = mmeHistory([oxycodone('no-start', 'stopped', undefined)], NOW, k);
    expect(noStart.months.every((m) => !m.complete)).toBe(true);
    expect(noStart.unknown[0]!.reason).toBe('no date when the order started');

    // A supply duration in no UCUM time unit (even a prototype key) is no supply duration.
    const oddUnit = mmeHistory([oxycodone('odd', 'completed', '2026-09-10', { expectedSupplyDuration: { value: 30, code: 'constructor' } })], NOW, k);
    expect(oddUnit.unknown[0]!.reason).toBe('completed, with no end date or supply duration');

    const unreadable: MedicationRequest = { ...oxycodone('sig', 'active', '2026-10-01'), dosageInstruction: [{ text: 'as directed' }] };
    const noMme = mmeHistory([unreadable], NOW, k);
    expect(noMme.months.map((m) => m.complete)).toEqual([true, true, true, true, false, false]);
    expect(noMme.months.every((m) => m.mme === 0)).toBe(true);
    expect(noMme.unknown).toHaveLength(1);
  });
});
