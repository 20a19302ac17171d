import type { Observation } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { analyzeTrial } from '../../../src/clinical/nof1/analyze.js';
import { dailyObservation, earlyStopExtension, NOF1_PERIOD_EXTENSION, trialResources } from '../../../src/clinical/nof1/careplan.js';
import { readTrialCarePlan, trialInputFrom, trialObservations } from '../../../src/clinical/nof1/careplan-read.js';
import { planTrial } from '../../../src/clinical/nof1/planner.js';
import { planPeriods } from '../../../src/clinical/nof1/randomise.js';
import { loadKnowledge } from '../../helpers/knowledge.js';
import { isoDay, NOF1_ANALYSIS_DEFAULTS } from './helpers.js';
import { plannerContext, request, WALKING } from './fhir-helpers.js';

const k = loadKnowledge();

function designOf(over = {}) {
  const r = planTrial(request(over), plannerContext(k), '2026-05-19T10:00:00Z');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.design;
}

/** The design as read back: each drug period names the MedicationRequest written for it. */
function linked(design: ReturnType<typeof designOf>) {
  return { ...design, periods: design.periods.map((p) => (design.arms[p.arm].kind === 'drug' ? { ...p, medicationRequest: `MedicationRequest/nof1-period-${p.index + 1}` } : p)) };
}

describe('trial plan -> CarePlan -> trial plan', () => {
  test('one activity per period, each drug period linked to its own MedicationRequest, the randomisation recorded', () => {
    const design = designOf({ separateDispensing: true, blinded: true, blindingNote: 'over-encapsulated by the pharmacy' });
    const { carePlan, medicationRequests } = trialResources(design, '2026-05-19T10:00:00Z');
    expect(carePlan.activity).toHaveLength(6);
    expect(medicationRequests).toHaveLength(6);
    expect(carePlan.activity!.map((a) => a.reference?.reference)).toEqual(medicationRequests.map((m) => `MedicationRequest/${m.id}`));
    // The order is the seeded one, and is written in the note for people too.
    const expected = planPeriods({ start: '2026-05-20', pairs: 3, periodDays: 7, washoutDays: 2, seed: 12345 });
    expect(carePlan.note![0]!.text).toContain(`seed 12345`);
    expect(carePlan.note![0]!.text).toContain(expected.randomisation.blocks.join(' '));
    expect(medicationRequests[0]!.dispenseRequest?.validityPeriod).toEqual({ start: '2026-05-20', end: '2026-05-26' });
    expect(medicationRequests[0]!.dosageInstruction![0]!.timing?.repeat?.boundsPeriod).toEqual({ start: '2026-05-20', end: '2026-05-26' });
    // Blinded: the activity's display does not name the drug.
    expect(carePlan.activity![0]!.reference!.display).toBe('Period 1: trial medicine (blinded)');
    expect(carePlan.title).toBe('N-of-1 trial: A vs B (blinded)');

    const back = readTrialCarePlan(carePlan);
    if (!back.ok) throw new Error(JSON.stringify(back.problems));
    expect(back.value).toEqual(linked(design));
  });

  test('a non-drug arm is an activity detail with its dates (R4 cpl-3: reference or detail, not both)', () => {
    const design = designOf({ arms: { A: WALKING, B: request().arms.B } });
    const { carePlan, medicationRequests } = trialResources(design, '2026-05-19T10:00:00Z');
    const walking = carePlan.activity!.filter((a) => a.detail);
    expect(walking).toHaveLength(3);
    expect(medicationRequests).toHaveLength(3);
    for (const a of carePlan.activity!) expect(Boolean(a.reference) !== Boolean(a.detail)).toBe(true);
    expect(walking[0]!.detail!.scheduledPeriod).toEqual({ start: walking[0]!.extension![0]!.extension!.find((e) => e.url === 'start')!.valueDate, end: walking[0]!.extension![0]!.extension!.find((e) => e.url === 'end')!.valueDate });
    const back = readTrialCarePlan(carePlan);
    expect(back.ok && back.value).toEqual(linked(design));
  });

  test('CarePlan + daily Observations -> the analysis input; another trial\'s scores and entered-in-error ones are left out', () => {
    const design = designOf();
    const { carePlan } = trialResources(design, '2026-05-19T10:00:00Z');
    carePlan.id = 'trial-1';
    const pain = k.nof1.table.outcomes.primary;
    const obs: Observation[] = [];
    design.periods.forEach((p, i) => {
      for (let d = 0; d < 7; d++) obs.push(dailyObservation('CarePlan/trial-1', 'p1', pain, isoDay(p.start, d), p.arm === 'A' ? 6 + (d % 2) : 4 + (d % 2)));
      if (i === 0) obs.push({ ...dailyObservation('CarePlan/other', 'p1', pain, p.start, 10) });
    });
    obs.push({ ...dailyObservation('https://ehr.example/fhir/CarePlan/trial-1', 'p1', pain, design.periods[0]!.start, 9), status: 'entered-in-error' });
    const mine = trialObservations('trial-1', obs);
    expect(mine).toHaveLength(42);
    const input = trialInputFrom(design, mine, true, 'pain');
    expect(input.periods).toEqual(design.periods.map((p) => ({ treatment: p.arm, start: p.start, end: p.end })));
    expect(input.observations).toHaveLength(42);
    const result = analyzeTrial(input, NOF1_ANALYSIS_DEFAULTS);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.value.meanDifference).toBeCloseTo(-2, 6);
    expect(result.value.observationsExcluded.filter((e) => e.reason === 'washout').length).toBeGreaterThan(0);
  });

  test('PEG as the primary outcome: scored daily as the mean of its items (valueQuantity), analysed the same way', () => {
    const design = designOf({ primaryOutcome: 'peg' });
    expect(design.primaryOutcome).toMatchObject({ system: 'http://loinc.org', code: '91147-9' });
    expect(design.secondaryOutcomes.map((c) => c.code)).toEqual(['drowsiness', 'constipation', 'nausea']);
    const obs: Observation[] = design.periods.flatMap((p) =>
      Array.from({ length: 7 }, (_, d) => ({
        ...dailyObservation('CarePlan/t', 'p1', design.primaryOutcome, isoDay(p.start, d), 0),
        valueInteger: undefined,
        valueQuantity: { value: p.arm === 'A' ? 5.3 + (d % 2) : 4.3 + (d % 2), unit: '{score}' },
      })),
    );
    const input = trialInputFrom(design, obs, true, 'PEG');
    expect(input.observations).toHaveLength(42);
    const r = analyzeTrial(input, NOF1_ANALYSIS_DEFAULTS);
    expect(r.ok && r.value.meanDifference).toBeCloseTo(-1, 6);
  });

  test('a correction on the same day replaces the first entry', () => {
    const design = designOf();
    const pain = k.nof1.table.outcomes.primary;
    const day = design.periods[0]!.start;
    const input = trialInputFrom(design, [dailyObservation('CarePlan/t', 'p1', pain, day, 3), dailyObservation('CarePlan/t', 'p1', pain, day, 5)], true, 'pain');
    expect(input.observations).toEqual([{ date: day, value: 5 }]);
  });

  test('an early stop is read back and cuts the periods at the stop day', () => {
    const design = designOf();
    const { carePlan } = trialResources(design, '2026-05-19T10:00:00Z');
    const stopDay = isoDay(design.periods[2]!.start, 3);
    carePlan.status = 'revoked';
    carePlan.extension!.push(earlyStopExtension({ date: stopDay, reason: { system: 'urn:pain-cds:nof1', code: 'adverse-event', display: 'Adverse event' }, serious: true, arm: design.periods[2]!.arm, note: 'fainted' }));
    const back = readTrialCarePlan(carePlan);
    if (!back.ok) throw new Error('unreadable');
    expect(back.value.status).toBe('revoked');
    expect(back.value.earlyStop).toMatchObject({ date: stopDay, serious: true, note: 'fainted' });
    const input = trialInputFrom(back.value, [], true, 'pain');
    expect(input.periods).toHaveLength(3);
    expect(input.periods[2]!.end).toBe(stopDay);
  });

  test('unreadable CarePlans are problems with their place, never a guess', () => {
    expect(readTrialCarePlan({ resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: 'Patient/p1' } })).toMatchObject({ ok: false });
    const { carePlan } = trialResources(designOf(), '2026-05-19T10:00:00Z');
    carePlan.activity![1]!.extension = [{ url: NOF1_PERIOD_EXTENSION, extension: [{ url: 'arm', valueCode: 'C' }] }];
    const r = readTrialCarePlan(carePlan);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.path).toBe('carePlan.activity[1]');
    expect(readTrialCarePlan({ resourceType: 'Patient' } as never)).toMatchObject({ ok: false });
  });
});
