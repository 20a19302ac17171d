import type { Goal, Observation } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { gasPicture, linkedGoalsStatus } from '../../../src/clinical/goals/picture.js';
import { goalRef, readGasScores, readGoals } from '../../../src/clinical/goals/read.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** Reading PCO GAS Goals and score Observations, and the T-score per rater over time. */
const t = loadKnowledge().gas.table;
const EXT = 'http://hl7.org/fhir/us/pco/StructureDefinition/pco-goal-attainment-scaling';
const CODES: Record<number, string> = { 2: 'LA34479-8', 1: 'LA34480-6', 0: 'LA34481-4', [-1]: 'LA34483-0', [-2]: 'LA34484-8' };

const goal = (id: string, extra: Partial<Goal> = {}): Goal => ({
  resourceType: 'Goal',
  id,
  lifecycleStatus: 'active',
  description: { text: `goal ${id}` },
  subject: { reference: 'Patient/p' },
  extension: [2, 1, 0, -1, -2].map((v) => ({ url: EXT, extension: [{ url: 'level', valueCoding: { system: 'http://loinc.org', code: CODES[v] } }, { url: 'text', valueString: `level ${v}` }] })),
  ...extra,
});
const score = (goalId: string, code: string, level: number, when: string, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  focus: [{ reference: `Goal/${goalId}` }],
  effectiveDateTime: when,
  valueCodeableConcept: { coding: [{ system: 'http://loinc.org', code: CODES[level] }] },
  ...extra,
});

describe('reading GAS goals and scores', () => {
  test('the five levels are read with their values; an entry without a level is kept as text', () => {
    const g = goal('a');
    g.extension![1] = { url: EXT, extension: [{ url: 'text', valueString: 'no level here' }] };
    const [read] = readGoals([g], t);
    expect(read!.gas).toBe(true);
    expect(read!.levels.map((l) => l.value)).toEqual([2, null, 0, -1, -2]);
    expect(read!.levels[1]!.text).toBe('no level here');
  });

  test('a Goal with only the GAS target measure is a GAS goal; a plain Goal is not', () => {
    const measured = goal('m', { extension: [], target: [{ measure: { coding: [{ system: 'http://loinc.org', code: '107332-9' }] } }] });
    const plain = goal('p', { extension: [] });
    expect(readGoals([measured, plain], t).map((g) => g.gas)).toEqual([true, false]);
  });

  test('scores are found by code whatever their category; absolute focus references, unknown answers and drafts', () => {
    const scores = readGasScores(
      [
        score('a', '107333-7', -1, '2026-05-01', { category: [{ coding: [{ code: 'functional-status' }] }] }),
        score('a', '107334-5', 1, '2026-05-02', { focus: [{ reference: 'https://ehr.example/fhir/Goal/a' }] }),
        score('a', '107334-5', 1, '2026-05-03', { status: 'preliminary' }),
        score('a', '107334-5', 1, '2026-05-04', { valueCodeableConcept: { coding: [{ system: 'http://loinc.org', code: 'LA0000-0' }] } }),
        score('a', '12345-6', 1, '2026-05-05'),
      ],
      t,
    );
    expect(scores.map((s) => [s.rater, s.level])).toEqual([['practitioner', -1], ['patient', 1]]);
    expect(goalRef('Goal/x/_history/2')).toBe('Goal/x');
  });

  test('per rater: a baseline alone gives no T-score; the series follows each follow-up day', () => {
    const goals = readGoals([goal('a'), goal('b')], t);
    const baselineOnly = gasPicture(goals, readGasScores([score('a', '107332-9', -2, '2026-03-01')], t), t.rho);
    expect(baselineOnly.byRater).toEqual([]);
    const scores = readGasScores([score('a', '107333-7', -1, '2026-04-01'), score('a', '107333-7', 1, '2026-05-01'), score('b', '107333-7', 1, '2026-05-01')], t);
    const picture = gasPicture(goals, scores, t.rho);
    // 2026-04-01: one goal at −1 (40); 2026-05-01: two goals at +1 (62.4)
    expect(picture.series.map((s) => [s.day, s.tScore, s.scored])).toEqual([['2026-04-01', 40, 1], ['2026-05-01', 62.4, 2]]);
    expect(picture.byRater[0]).toMatchObject({ rater: 'practitioner', tScore: 62.4, scored: 2, goals: 2 });
  });

  test('priority weighting when the table asks for it (a documented local rule)', () => {
    const weighted = { ...t, weighting: 'priority' as const };
    const [high] = readGoals([goal('h', { priority: { coding: [{ code: 'high-priority' }] } })], weighted);
    expect(high!.weight).toBe(3);
    expect(readGoals([goal('h')], t)[0]!.weight).toBe(1);
  });

  test('linked goals: a T-score below 50 from follow-ups after the justification is reported with the score before', () => {
    const goals = readGoals([goal('a')], t);
    const scores = readGasScores([score('a', '107333-7', 0, '2026-04-01'), score('a', '107333-7', -1, '2026-05-10')], t);
    const status = linkedGoalsStatus(goals, scores, new Date('2026-05-01'), t.rho);
    expect(status.fallen).toHaveLength(1);
    expect(status.fallen[0]!.after.tScore).toBe(40);
    expect(status.fallen[0]!.before!.tScore).toBe(50);
    expect(linkedGoalsStatus(goals, scores, new Date('2026-05-11'), t.rho).fallen).toEqual([]);
  });
});
