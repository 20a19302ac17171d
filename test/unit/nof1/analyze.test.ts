import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysisDefaults, analyzeTrial, parseNof1DefaultsTable } from '../../../src/clinical/nof1/index.js';
import { REPO_ROOT } from '../../helpers/service.js';
import { dailyTrial, periodsOf } from './helpers.js';

const fixture = () => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/nof1/trial.json'), 'utf8')) as unknown;
const defaultsTable = () => parseNof1DefaultsTable(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'rules/knowledge/nof1-defaults.json'), 'utf8')));

function analyse(json: unknown, defaults = analysisDefaults(defaultsTable())) {
  const r = analyzeTrial(json, defaults);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

describe('the analysis of a trial', () => {
  test('reproduces the hand-computed posterior (model.test.ts, data set 1) to the printed digit', () => {
    // A on 1-3 January scores 5, 6, 7; B on 4-6 January scores 3, 4, 5; no washout.
    const values = [5, 6, 7, 3, 4, 5];
    const r = analyse({
      treatments: { A: 'paracetamol', B: 'ibuprofen' },
      outcome: { name: 'pain', lowerIsBetter: true, mcid: 1 },
      washoutDays: 0,
      periods: periodsOf('AB', 3),
      observations: values.map((value, i) => ({ date: `2026-01-0${i + 1}`, value })),
    });
    expect(r.meanDifference).toBe(-2);
    expect(r.credibleInterval95).toEqual([-4.266958, 0.266958]);
    expect(r.probabilityBBetter).toBe(0.964758);
    expect(r.probabilityClinicallyImportant).toBe(0.856068);
    expect(r.observationsUsed).toBe(6);
    expect(r.observationsExcluded).toEqual([]);
    expect(r.arms).toEqual({ A: { treatment: 'paracetamol', observations: 3, periods: 1, mean: 6 }, B: { treatment: 'ibuprofen', observations: 3, periods: 1, mean: 4 } });
    expect(r.model).toMatchObject({ degreesOfFreedom: 4, posteriorScale: 0.816497, residualSd: 1, prior: expect.stringContaining('p(μ_A, μ_B, σ²) ∝ 1/σ²') });
    expect(r.checks.periodMeans).toEqual({ available: false, reason: 'period means: needs at least 3 values in all, to estimate the day-to-day variation' });
    expect(r.warnings).toContain('only 1 pair of periods: a trial needs at least 2 pairs (A and B each at least twice) to tell a treatment effect from a change over time');
    expect(r.interpretation).toMatch(/^Pain was on average 2\.00 lower on B \(ibuprofen\) than on A \(paracetamol\); 95% credible interval for B minus A: -4\.27 to 0\.27/);
    expect(r.interpretation).toMatch(/Probability that B is better than A: 96%; that it is better by at least the minimal clinically important difference of 1: 86%\./);
    expect(r.interpretation).toMatch(/not a promise of relief/);
  });

  test('higher-is-better outcomes turn the probabilities around', () => {
    const json = dailyTrial('ABBA', 6, 1, (d, t) => 5 + (d % 3) + (t === 'B' ? 1.5 : 0));
    const lower = analyse(json);
    const higher = analyse({ ...json, outcome: { name: 'function', lowerIsBetter: false, mcid: 1 } });
    expect(higher.meanDifference).toBe(lower.meanDifference);
    expect(higher.probabilityBBetter).toBeCloseTo(1 - lower.probabilityBBetter, 5);
    expect(higher.probabilityBBetter).toBeGreaterThan(0.99);
  });

  test('is reproducible to the digit for the same input', () => {
    const first = JSON.stringify(analyse(fixture()));
    for (let i = 0; i < 3; i++) expect(JSON.stringify(analyse(structuredClone(fixture())))).toBe(first);
    // The sample trial's headline, pinned: any change of model or arithmetic shows here.
    const r = analyse(fixture());
    expect({ d: r.meanDifference, ci: r.credibleInterval95, pb: r.probabilityBBetter, pc: r.probabilityClinicallyImportant, n: r.observationsUsed }).toEqual({
      d: -1.294118,
      ci: [-2.037579, -0.550657],
      pb: 0.999385,
      pc: 0.786854,
      n: 34,
    });
    expect(r.observationsExcluded).toHaveLength(8);
  });

  test('without outcome.mcid it uses the knowledge table default, cites it and warns', () => {
    const table = defaultsTable();
    expect(table.meta).toMatchObject({ id: 'nof1-defaults', version: '2026.5' });
    expect(table.data.mcid.value).toBe(1);
    const json = dailyTrial('ABAB', 6, 2, (d, t) => 5 + (d % 3) + (t === 'B' ? -1 : 0), null);
    const r = analyse(json);
    expect(r.outcome.mcid).toBe(1);
    expect(r.outcome.mcidSource).toMatch(/^nof1-defaults@2026\.5: 1 point on a 0-10 pain intensity numerical rating scale .*Salaffi et al\., Eur J Pain 2004/);
    expect(r.warnings).toContain('the MCID is the default for a 0-10 pain scale; set outcome.mcid if the outcome uses another scale');
  });
});

describe('checks beside the main model', () => {
  test('a steady drift with no treatment effect: the trend model finds the drift and removes the bias', () => {
    // Pain rises 0.3 a day whatever the treatment; A B A B puts B later in each pair, so the naive estimate blames B.
    const r = analyse(dailyTrial('ABAB', 6, 0, (d) => 3 + 0.3 * d + [0, 0.5, -0.5][d % 3]!));
    expect(r.meanDifference).toBeGreaterThan(1);
    const trend = r.checks.trend;
    if (!trend.available) throw new Error(trend.reason);
    expect(Math.abs(trend.meanDifference)).toBeLessThan(0.3);
    expect(trend).toMatchObject({ trendDetected: true, agreesWithMain: false });
    expect(trend.trendPerWeek.estimate).toBeCloseTo(2.1, 1);
    expect(r.warnings.join('\n')).toMatch(/drifted over the trial by 2\.\d\d per week/);
    expect(r.warnings.join('\n')).toMatch(/trend-adjusted estimate disagrees/);
  });

  test('a treatment that still acts after a too-short washout: the second halves of the periods disagree', () => {
    // B lowers pain by 4; for the first 3 days of each period the previous treatment still acts; no washout declared.
    const order = 'ABABAB';
    const r = analyse(dailyTrial(order, 8, 0, (d, t, inPeriod) => {
      const period = Math.floor(d / 8);
      const acting = inPeriod < 3 && period > 0 ? order[period - 1]! : t;
      return 6 + (acting === 'B' ? -4 : 0) + [0, 0.5, -0.5][d % 3]!;
    }));
    const carry = r.checks.carryOver;
    if (!carry.available) throw new Error(carry.reason);
    expect(carry.meanDifference).toBeCloseTo(-4, 1);
    expect(r.meanDifference).toBeGreaterThan(-3);
    expect(carry.agreesWithMain).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/carry-over/);
  });

  test('slowly wandering scores: lag-1 autocorrelation is reported and the period-level analysis is recommended', () => {
    const r = analyse(dailyTrial('ABBAABBA', 7, 1, (d, t) => 5 + 1.5 * Math.sin(d / 4) + (t === 'B' ? -1 : 0)));
    const auto = r.checks.autocorrelation;
    if (!auto.available) throw new Error(auto.reason);
    expect(auto.lag1).toBeGreaterThan(0.8);
    const width = (ci: readonly [number, number]) => ci[1] - ci[0];
    expect(width(auto.ar1Adjusted.credibleInterval95)).toBeGreaterThan(2 * width(r.credibleInterval95));
    expect(r.warnings.join('\n')).toMatch(/consecutive days are correlated \(lag-1 r = 0\.\d\d\).*prefer checks\.periodMeans/);
    expect(r.checks.periodMeans).toMatchObject({ available: true, periodsA: 4, periodsB: 4, degreesOfFreedom: 6 });
  });

  test('every period is listed with its used observations and mean', () => {
    const r = analyse(dailyTrial('ABBA', 4, 2, (d, t) => 5 + (d % 2) + (t === 'B' ? -1 : 0)));
    expect(r.periods).toEqual([
      { index: 0, treatment: 'A', start: '2026-01-01', end: '2026-01-04', observationsUsed: 4, mean: 5.5 },
      { index: 1, treatment: 'B', start: '2026-01-05', end: '2026-01-08', observationsUsed: 2, mean: 4.5 },
      { index: 2, treatment: 'B', start: '2026-01-09', end: '2026-01-12', observationsUsed: 4, mean: 4.5 },
      { index: 3, treatment: 'A', start: '2026-01-13', end: '2026-01-16', observationsUsed: 2, mean: 5.5 },
    ]);
  });
});

describe('the autocorrelation warning', () => {
  test('is given from the cut-off of the knowledge table, not one written in the code', () => {
    const defaults = analysisDefaults(defaultsTable());
    const r = analyse(fixture(), defaults);
    expect(r.checks.autocorrelation).toMatchObject({ available: true });
    const lag1 = (r.checks.autocorrelation as { lag1: number }).lag1;
    const warned = (cutOff: number) => analyse(fixture(), { ...defaults, autocorrelationWarning: cutOff }).warnings.some((w) => w.startsWith('scores on consecutive days are correlated'));
    expect(warned(lag1 - 0.01)).toBe(true);
    expect(warned(lag1 + 0.01)).toBe(false);
    expect(warned(defaults.autocorrelationWarning)).toBe(lag1 >= defaults.autocorrelationWarning);
  });
});
