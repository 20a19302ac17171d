import type { MedicationRequest } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { computeMmeSummary } from '../../../src/clinical/mme/index.js';
import { trialResources, type TrialDesign } from '../../../src/clinical/nof1/careplan.js';
import { countTrialSupplies } from '../../../src/clinical/nof1/mme-count.js';
import { planTrial } from '../../../src/clinical/nof1/planner.js';
import { loadKnowledge } from '../../helpers/knowledge.js';
import { OXYCODONE, plannerContext, request, TRAMADOL, WALKING } from './fhir-helpers.js';

const k = loadKnowledge();

function trial(over = {}): { design: TrialDesign; orders: MedicationRequest[] } {
  const r = planTrial(request(over), plannerContext(k), '2026-05-19T10:00:00Z');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const { carePlan, medicationRequests } = trialResources(r.value.design, '2026-05-19T10:00:00Z');
  const design = { ...r.value.design, periods: r.value.design.periods.map((p) => ({ ...p, medicationRequest: carePlan.activity![p.index]!.reference?.reference })) };
  return { design, orders: medicationRequests };
}

const total = (records: readonly MedicationRequest[]) => computeMmeSummary({ draftOrders: [], records }, k.mme).total;
const other: MedicationRequest = { resourceType: 'MedicationRequest', id: 'other', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text: 'Morphine Sulfate 15 MG Oral Tablet' }, dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }] };

describe('MME of a running N-of-1 trial, counted conservatively', () => {
  test('without the trial every period order is summed (the overcount this avoids)', () => {
    const { orders } = trial();
    expect(total(orders)).toBe(3 * 40 + 3 * 30);
  });

  test('both supplies in hand: the higher arm counts once, whatever the current period; other orders untouched', () => {
    const { design, orders } = trial();
    for (const today of [design.periods[0]!.start, design.periods[1]!.start, '2026-05-01']) {
      const c = countTrialSupplies([...orders, other], [{ design, ref: 'CarePlan/t' }], today, k.mme);
      expect(total(c.records as MedicationRequest[])).toBe(40 + 30);
      expect(c.records).toContain(other);
      expect(c.notes[0]).toMatch(/higher dose \(A: Tramadol 50 mg four times a day, 40 MME\/day\) is counted once/);
    }
  });

  test('each period dispensed separately: only the current period\'s order counts', () => {
    const { design, orders } = trial({ separateDispensing: true });
    for (const p of design.periods) {
      const c = countTrialSupplies(orders, [{ design, ref: 'CarePlan/t' }], p.start, k.mme);
      expect(c.records).toHaveLength(1);
      expect(total(c.records as MedicationRequest[])).toBe(p.arm === 'A' ? 40 : 30);
      expect(c.notes[0]).toContain(`only the current period's order (period ${p.index + 1}`);
    }
  });

  test('separately dispensed, in a non-drug period: no trial order counts; outside the periods: the higher arm', () => {
    const { design, orders } = trial({ separateDispensing: true, arms: { A: WALKING, B: OXYCODONE } });
    const walking = design.periods.find((p) => p.arm === 'A')!;
    const c = countTrialSupplies(orders, [{ design, ref: 'CarePlan/t' }], walking.start, k.mme);
    expect(c.records).toHaveLength(0);
    expect(c.notes[0]).toContain('has no trial drug order');
    const before = countTrialSupplies(orders, [{ design, ref: 'CarePlan/t' }], '2026-05-01', k.mme);
    expect(total(before.records as MedicationRequest[])).toBe(30);
  });

  test('a blinded trial\'s note does not name the counted drug', () => {
    const { design, orders } = trial({ blinded: true, separateDispensing: true, arms: { A: TRAMADOL, B: OXYCODONE } });
    const c = countTrialSupplies(orders, [{ design, ref: 'CarePlan/t' }], design.periods[0]!.start, k.mme);
    expect(c.notes[0]).toContain('(blinded)');
    expect(c.notes[0]).not.toMatch(/Tramadol|Oxycodone/);
  });

  test('no trial, or a trial whose orders are not on record: the records are returned as they are', () => {
    const { design } = trial();
    expect(countTrialSupplies([other], [], '2026-05-20', k.mme)).toEqual({ records: [other], notes: [] });
    expect(countTrialSupplies([other], [{ design, ref: 'CarePlan/t' }], '2026-05-20', k.mme).notes).toEqual([]);
  });
});
