import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeTrial, parseTrial, selectObservations } from '../../../src/clinical/nof1/index.js';
import { REPO_ROOT } from '../../helpers/service.js';
import { dailyTrial, NOF1_ANALYSIS_DEFAULTS } from './helpers.js';

/** A value that cycles so that both arms vary: 5, 6, 7, 5, 6, ... (+ 2 on A). */
const cycling = (day: number, treatment: string) => 5 + (day % 3) + (treatment === 'A' ? 2 : 0);

function problemsOf(json: unknown): { path: string; message: string }[] {
  const r = analyzeTrial(json, NOF1_ANALYSIS_DEFAULTS);
  if (r.ok) throw new Error('expected the trial to be invalid');
  return [...r.problems];
}

describe('washout exclusion', () => {
  test('the first washoutDays days after each switch are excluded and listed, the first period is not a switch', () => {
    const trial = parseTrial(dailyTrial('ABAB', 5, 2, cycling));
    if (!trial.ok) throw new Error(JSON.stringify(trial.problems));
    const { used, excluded, switches } = selectObservations(trial.value);
    expect(switches).toEqual([1, 2, 3]);
    expect(excluded.map((e) => e.date)).toEqual(['2026-01-06', '2026-01-07', '2026-01-11', '2026-01-12', '2026-01-16', '2026-01-17']);
    expect(excluded.every((e) => e.reason === 'washout')).toBe(true);
    expect(excluded[0]!.detail).toBe('day 1 of the 2-day washout after the switch from A to B on 2026-01-06 (periods[1])');
    expect(used).toHaveLength(20 - 6);
    expect(used[0]).toMatchObject({ date: '2026-01-01', treatment: 'A', period: 0, dayInPeriod: 0, periodLength: 5 });
  });

  test('a period that repeats the previous treatment (A B B A) is not a switch', () => {
    const trial = parseTrial(dailyTrial('ABBA', 5, 2, cycling));
    if (!trial.ok) throw new Error('invalid');
    const { excluded, switches } = selectObservations(trial.value);
    expect(switches).toEqual([1, 3]);
    expect(excluded.map((e) => e.date)).toEqual(['2026-01-06', '2026-01-07', '2026-01-16', '2026-01-17']);
  });

  test('washoutDays 0 excludes nothing; observations outside every period are excluded with their reason', () => {
    const json = dailyTrial('AB', 4, 0, cycling);
    json.observations.push({ date: '2026-03-01', value: 4 });
    const r = analyzeTrial(json, NOF1_ANALYSIS_DEFAULTS);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value.observationsUsed).toBe(8);
    expect(r.value.observationsExcluded).toEqual([{ date: '2026-03-01', value: 4, reason: 'outside-periods', detail: 'the date is in no period' }]);
  });

  test('periods may be listed in any order: the switches follow the calendar', () => {
    const json = dailyTrial('AB', 4, 1, cycling);
    json.periods.reverse();
    const r = analyzeTrial(json, NOF1_ANALYSIS_DEFAULTS);
    if (!r.ok) throw new Error('invalid');
    expect(r.value.observationsExcluded.map((e) => e.date)).toEqual(['2026-01-05']);
    expect(r.value.periods.map((p) => p.index)).toEqual([1, 0]);
  });
});

describe('invalid input names the problem and where it is', () => {
  test('overlapping periods', () => {
    const json = dailyTrial('ABAB', 5, 2, cycling);
    json.periods[2] = { ...json.periods[2]!, start: '2026-01-09' };
    expect(problemsOf(json)).toEqual([
      { path: 'periods[2]', message: 'overlaps periods[1] (2026-01-09 to 2026-01-15 and 2026-01-06 to 2026-01-10); each day belongs to one treatment' },
    ]);
  });

  test('an end before its start', () => {
    const json = dailyTrial('ABAB', 5, 2, cycling);
    json.periods[3] = { ...json.periods[3]!, end: '2026-01-15' };
    expect(problemsOf(json)).toContainEqual({ path: 'periods[3].end', message: 'ends (2026-01-15) before its start (2026-01-16)' });
  });

  test('an unknown arm', () => {
    const json = dailyTrial('ABAB', 5, 2, cycling);
    json.periods[1] = { ...json.periods[1]!, treatment: 'C' };
    expect(problemsOf(json)).toEqual([{ path: 'periods[1].treatment', message: 'unknown arm "C": must be "A" or "B" (the keys of treatments)' }]);
  });

  test('no observations in an arm (all of B fell in washout days)', () => {
    const json = dailyTrial('AB', 4, 2, cycling);
    json.observations = json.observations.filter((o) => o.date <= '2026-01-06');
    expect(problemsOf(json)).toEqual([
      { path: 'observations', message: 'no observation of treatment B (ibuprofen) is left to analyse (2 fell in washout days): each arm needs scores on days of its periods after the washout' },
    ]);
  });

  test('no period of an arm', () => {
    const json = dailyTrial('AA', 4, 2, cycling);
    expect(problemsOf(json)).toEqual([{ path: 'periods', message: 'has no period of treatment B (ibuprofen)' }]);
  });

  test('dates, values and fields', () => {
    const json = dailyTrial('AB', 4, 2, cycling) as Record<string, unknown> & ReturnType<typeof dailyTrial>;
    json.observations[0] = { date: '2026-02-30', value: 5 };
    (json.observations as unknown[])[1] = { date: '2026-01-02', value: '6' };
    json.periods[0] = { ...json.periods[0]!, start: '1 Jan 2026' };
    (json as Record<string, unknown>).washoutDays = -1;
    (json.outcome as Record<string, unknown>).lowerIsBetter = 'yes';
    expect(problemsOf(json)).toEqual(
      expect.arrayContaining([
        { path: 'observations[0].date', message: '"2026-02-30" is not a calendar date' },
        { path: 'observations[1].value', message: 'must be a number (the outcome score)' },
        { path: 'periods[0].start', message: 'must be a date written YYYY-MM-DD' },
        { path: 'washoutDays', message: 'must not be negative' },
        { path: 'outcome.lowerIsBetter', message: 'must be true or false (true for pain scores)' },
      ]),
    );
  });

  test('not an object, unknown keys, no observations', () => {
    expect(problemsOf([])).toEqual([{ path: '', message: 'a trial must be a JSON object' }]);
    const json = dailyTrial('AB', 4, 2, cycling);
    expect(problemsOf({ ...json, observations: [] })).toEqual([{ path: 'observations', message: 'has no observations' }]);
    expect(problemsOf({ ...json, outcome: { ...json.outcome, mcdi: 2 } })).toEqual([{ path: 'outcome', message: 'has unknown field "mcdi": expected {"name", "lowerIsBetter", "mcid"}' }]);
    expect(problemsOf({ ...json, treatments: 'A and B' })).toEqual([{ path: 'treatments', message: 'must be an object {"A": "...", "B": "..."}' }]);
  });

  test('scores that do not vary within the arms', () => {
    expect(problemsOf(dailyTrial('AB', 4, 0, (_d, t) => (t === 'A' ? 6 : 4)))).toEqual([
      { path: 'observations', message: 'cannot be analysed: the values do not vary within either arm, so the day-to-day variation cannot be estimated' },
    ]);
  });
});

describe('a day scored twice', () => {
  test('counts once, with the last score of the day; the earlier one is listed as excluded', () => {
    const base = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'nof1', 'trial.json'), 'utf8')) as { observations: { date: string; value: number }[] };
    const once = analyzeTrial(base, NOF1_ANALYSIS_DEFAULTS);
    const day = base.observations.at(-1)!;
    const twice = analyzeTrial({ ...base, observations: [...base.observations.slice(0, -1), { date: day.date, value: 0 }, day] }, NOF1_ANALYSIS_DEFAULTS);
    if (!once.ok || !twice.ok) throw new Error('the fixture is a valid trial');
    expect(twice.value.observationsUsed).toBe(once.value.observationsUsed);
    expect(twice.value.meanDifference).toBe(once.value.meanDifference);
    expect(twice.value.observationsExcluded).toContainEqual(expect.objectContaining({ date: day.date, value: 0, reason: 'duplicate-day' }));
  });
});
