import { describe, expect, test } from 'vitest';
import { DEFAULT_STEP_HOURS, integrate, rk4Step } from '../../../src/clinical/twin/rk4.js';
import { simulate } from '../../../src/clinical/twin/simulate.js';
import type { CompiledModel } from '../../../src/clinical/twin/models.js';

/** One-compartment oral model (no metabolite) with the fastest and slowest rates of the table. */
const oral = (ka: number, cl: number, v: number, f = 1): CompiledModel => ({
  ka, bioavailability: f, parentClearance: cl, parentVolume: v, formationClearance: 0, fractionReachingCirculation: 0, metaboliteClearance: 1, metaboliteVolume: 1, massRatio: 1,
});

/** Bateman function: C(t) = F·D·ka / (V (ka - k)) (e^-kt - e^-ka t), in ng/mL for D in mg. */
const bateman = (t: number, d: number, m: ReturnType<typeof oral>) => {
  const k = m.parentClearance / m.parentVolume;
  return ((m.bioavailability * d * m.ka) / (m.parentVolume * (m.ka - k))) * (Math.exp(-k * t) - Math.exp(-m.ka * t)) * 1000;
};

describe('RK4 solver', () => {
  test('exponential decay (IV bolus) matches C0·e^-kt to 1e-9 relative over 5 half-lives', () => {
    const k = 0.344;
    const y = integrate((_t, y) => [-k * y[0]!], [100], 0, 10, DEFAULT_STEP_HOURS);
    expect(Math.abs(y[0]! - 100 * Math.exp(-k * 10)) / (100 * Math.exp(-k * 10))).toBeLessThan(1e-9);
  });

  test('one step has 4th-order local error (halving h divides the error by about 32)', () => {
    const k = 3.4;
    const err = (h: number) => Math.abs(rk4Step((_t, y) => [-k * y[0]!], 0, [1], h)[0]! - Math.exp(-k * h));
    const ratio = err(0.1) / err(0.05);
    expect(ratio).toBeGreaterThan(28);
    expect(ratio).toBeLessThan(36);
  });

  test.each([
    ['morphine (fastest absorption in the table)', oral(3.4, 95.04, 276, 0.344)],
    ['codeine', oral(2.61, 141.4, 526.4)],
    ['tramadol', oral(1.34, 21.02, 182, 0.75)],
  ])('oral one-compartment %s matches the Bateman solution at every output point', (_name, m) => {
    const sim = simulate(m, { baseDoseMg: 50, intervalHours: 24, durationHours: 24, outputEveryHours: 0.25 });
    const worst = Math.max(...sim.timeHours.map((t, i) => Math.abs(sim.parentSeries[i]! - bateman(t, 50, m)) / Math.max(1e-3, bateman(t, 50, m))));
    expect(worst).toBeLessThan(1e-6);
  });

  test('the AUC state matches F·D/CL (analytic) for a single dose followed to 15 half-lives', () => {
    const m = oral(1.34, 21.02, 182, 0.75);
    const t = (15 * Math.log(2) * 182) / 21.02;
    const sim = simulate(m, { baseDoseMg: 87.85, intervalHours: t, durationHours: t });
    expect(sim.parent.aucByInterval[0]! / ((0.75 * 87.85 * 1000) / 21.02)).toBeCloseTo(1, 4);
  });

  test('the default step is converged: halving it changes Cmax and AUC by under 1e-8', () => {
    const m = oral(3.4, 95.04, 276, 0.344);
    const a = simulate(m, { baseDoseMg: 10, intervalHours: 4, durationHours: 24 });
    const b = simulate(m, { baseDoseMg: 10, intervalHours: 4, durationHours: 24, stepHours: DEFAULT_STEP_HOURS / 2 });
    expect(Math.abs(a.parent.auc24 - b.parent.auc24) / b.parent.auc24).toBeLessThan(1e-8);
    expect(Math.abs(a.parent.cmax - b.parent.cmax) / b.parent.cmax).toBeLessThan(1e-4); // Cmax is sampled on the step grid
  });

  test('a step that does not divide the interval ends exactly on the dose times', () => {
    const y = integrate((_t, y) => [1 + 0 * y[0]!], [0], 0, 1, 0.3);
    expect(y[0]).toBeCloseTo(1, 12);
  });
});
