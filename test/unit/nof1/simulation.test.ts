import { describe, expect, test } from 'vitest';
import { analyzeTrial, mulberry32, normalFrom, planPeriods, type Nof1Result } from '../../../src/clinical/nof1/index.js';
import { NOF1_ANALYSIS_DEFAULTS } from './helpers.js';

/**
 * Simulation check of the interval's coverage. Each seed plans a trial (3
 * pairs of 10-day periods in a randomised order, 2 washout days), generates
 * daily scores with a known difference B − A = −1.5 and noise of SD 1.5, and
 * counts how often each 95% interval contains −1.5.
 *
 * - Independent noise: the main model is exact, coverage ≈ 95%.
 * - AR(1) noise, e_t = ρ·e_{t−1} + √(1 − ρ²)·1.5·z_t with ρ = 0.6 (stationary SD 1.5):
 *   the main model assumes independent days, so its interval is too narrow
 *   (coverage about 70%); the period-means analysis keeps about 95%; the
 *   AR(1)-adjusted interval about 93%; and the output warns in nearly every trial.
 * These are the behaviours that the README and the output's `model` describe.
 */
const TRUE_DIFFERENCE = -1.5;
const SEEDS = 1000;

function simulate(seed: number, rho: number): Nof1Result {
  const periodDays = 10;
  const plan = planPeriods({ start: '2026-01-01', pairs: 3, periodDays, washoutDays: 2, seed });
  const random = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const first = Date.UTC(2026, 0, 1) / 86_400_000;
  const observations: { date: string; value: number }[] = [];
  let noise = 1.5 * normalFrom(random);
  let day = 0;
  for (const p of plan.periods) {
    for (let i = 0; i < periodDays; i++, day++) {
      if (day > 0) noise = rho * noise + Math.sqrt(1 - rho * rho) * 1.5 * normalFrom(random);
      observations.push({ date: new Date((first + day) * 86_400_000).toISOString().slice(0, 10), value: 5 + (p.treatment === 'B' ? TRUE_DIFFERENCE : 0) + noise });
    }
  }
  const r = analyzeTrial({ treatments: { A: 'a', B: 'b' }, outcome: { name: 'pain', lowerIsBetter: true, mcid: 1 }, washoutDays: 2, periods: plan.periods, observations }, NOF1_ANALYSIS_DEFAULTS);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function coverage(rho: number) {
  const covers = (ci: readonly [number, number]) => (ci[0] <= TRUE_DIFFERENCE && TRUE_DIFFERENCE <= ci[1] ? 1 : 0);
  const n = { main: 0, periodMeans: 0, ar1Adjusted: 0, warned: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = simulate(seed, rho);
    const { periodMeans, autocorrelation } = r.checks;
    if (!periodMeans.available || !autocorrelation.available) throw new Error('a check was not available');
    n.main += covers(r.credibleInterval95);
    n.periodMeans += covers(periodMeans.credibleInterval95);
    n.ar1Adjusted += covers(autocorrelation.ar1Adjusted.credibleInterval95);
    n.warned += r.warnings.some((w) => w.includes('consecutive days are correlated')) ? 1 : 0;
  }
  return { main: n.main / SEEDS, periodMeans: n.periodMeans / SEEDS, ar1Adjusted: n.ar1Adjusted / SEEDS, warned: n.warned / SEEDS };
}

describe(`coverage of the 95% intervals over ${SEEDS} seeds (true B − A = ${TRUE_DIFFERENCE})`, () => {
  test('independent daily noise: every interval covers at about its nominal rate', () => {
    const c = coverage(0);
    console.info(`nof1 simulation, independent noise: ${JSON.stringify(c)}`);
    expect(c.main).toBeGreaterThanOrEqual(0.93);
    expect(c.main).toBeLessThanOrEqual(0.97);
    expect(c.periodMeans).toBeGreaterThanOrEqual(0.93);
    expect(c.periodMeans).toBeLessThanOrEqual(0.97);
    expect(c.ar1Adjusted).toBeGreaterThanOrEqual(0.93);
    expect(c.warned).toBeLessThan(0.1);
  });

  test('AR(1) daily noise (ρ = 0.6): the main interval is too narrow, the period-means analysis keeps nominal coverage', () => {
    const c = coverage(0.6);
    console.info(`nof1 simulation, AR(1) noise rho 0.6: ${JSON.stringify(c)}`);
    expect(c.main).toBeLessThan(0.85);
    expect(c.main).toBeGreaterThan(0.6);
    expect(c.periodMeans).toBeGreaterThanOrEqual(0.93);
    expect(c.periodMeans).toBeLessThanOrEqual(0.97);
    expect(c.ar1Adjusted).toBeGreaterThanOrEqual(0.9);
    expect(c.warned).toBeGreaterThan(0.9);
  });
});
