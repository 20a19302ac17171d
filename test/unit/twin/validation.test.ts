import { describe, expect, test } from 'vitest';
import { compileModel } from '../../../src/clinical/twin/models.js';
import { simulate } from '../../../src/clinical/twin/simulate.js';
import { K, twin } from './knowledge.js';

/**
 * The models against what the literature reports (sources in rules/knowledge/pk-models.json).
 * Single-dose exposures: one dose followed for 48 h, total AUC (aucTotal).
 */
const single = (request: Record<string, unknown>) => twin({ days: 2, intervalHours: 48, ...request });
const morphineAuc = (cyp2d6: Record<string, unknown>, inhibitors: string[] = []) => single({ drug: 'codeine', doseMg: 30, cyp2d6, inhibitors });

describe('codeine -> morphine', () => {
  const nm = morphineAuc({ activityScore: 2 });
  const um = morphineAuc({ diplotype: '*1/*1x2' });
  const pm = morphineAuc({ diplotype: '*4/*4' });

  test('ultrarapid (*1/*1x2) vs normal: morphine exposure ratio about 1.45 (Kirchheiner 2007), within 1.3-1.75 (PBPK up to 1.73, Yang 2024)', () => {
    const ratio = um.active.aucTotal / nm.active.aucTotal;
    expect(um.cyp2d6).toMatchObject({ effectiveActivityScore: 3 });
    expect(ratio).toBeGreaterThan(1.3);
    expect(ratio).toBeLessThan(1.75);
    expect(ratio).toBeCloseTo(1.45, 1);
  });

  test('poor metabolizer: morphine a few percent of normal (Yang 2024: 98.6% lower)', () => {
    const ratio = pm.active.aucTotal / nm.active.aucTotal;
    expect(ratio).toBeGreaterThan(0.005);
    expect(ratio).toBeLessThan(0.05);
  });

  test('paroxetine (strong inhibitor) makes a normal metabolizer act as a poor one', () => {
    const inhibited = morphineAuc({ activityScore: 2 }, ['paroxetine']);
    expect(inhibited.effectiveActivityScore).toBe(0);
    expect(inhibited.active.aucTotal).toBeCloseTo(pm.active.aucTotal, 6);
  });

  test('codeine itself barely changes with CYP2D6 (Yue 1991: no EM/PM difference in codeine clearance)', () => {
    expect(pm.parent.aucTotal / nm.parent.aucTotal).toBeGreaterThan(1);
    expect(pm.parent.aucTotal / nm.parent.aucTotal).toBeLessThan(1.1);
  });

  test('reference dose: 30 mg codeine phosphate in a normal metabolizer gives morphine AUC inside the EM range of Kirchheiner 2007 (5-17 ug·h/L) and within 2x of its median (11)', () => {
    // Over 48 h essentially all of the single dose's AUC (codeine t1/2 2.6 h, morphine 2 h).
    expect(nm.active.aucTotal).toBeGreaterThan(5);
    expect(nm.active.aucTotal).toBeLessThan(17);
    expect(nm.active.aucTotal / 11).toBeGreaterThan(0.5);
  });
});

describe('tramadol -> O-desmethyltramadol (M1)', () => {
  const nm = single({ drug: 'tramadol', doseMg: 100, cyp2d6: { activityScore: 2 } });
  const pm = single({ drug: 'tramadol', doseMg: 100, cyp2d6: { phenotype: 'poor metabolizer' } });

  test('reference dose: 100 mg gives tramadol Cmax within the SmPC range 280-308 ug/L (stated error ±10%) at 1.6-2.5 h', () => {
    expect(nm.parent.cmax).toBeGreaterThan(280 * 0.9);
    expect(nm.parent.cmax).toBeLessThan(308 * 1.1);
    expect(nm.parent.tmaxHours).toBeGreaterThan(1.6);
    expect(nm.parent.tmaxHours).toBeLessThan(2.5);
  });

  test('M1 is far lower in poor metabolizers (under 35% of normal), and tramadol about 20% higher (label)', () => {
    expect(pm.active.aucTotal / nm.active.aucTotal).toBeLessThan(0.35);
    expect(pm.parent.aucTotal / nm.parent.aucTotal).toBeCloseTo(1.2, 1);
  });

  test('M1 exposure is about 25% of tramadol (SmPC; the calibration target; 48 h hold most of a single dose)', () => {
    expect(nm.active.aucTotal / nm.parent.aucTotal).toBeCloseTo(0.25, 1);
  });
});

describe('morphine (CYP2D6-independent comparator)', () => {
  test('CYP2D6 and inhibitors do not change it, and the output says so', () => {
    const a = single({ drug: 'morphine', doseMg: 10 });
    const b = single({ drug: 'morphine', doseMg: 10, cyp2d6: { activityScore: 0 }, inhibitors: ['paroxetine'] });
    expect(b.active.aucTotal).toBe(a.active.aucTotal);
    expect(b.effectiveActivityScore).toBeNull();
    expect(b.warnings.join(' ')).toMatch(/CYP2D6-independent/);
  });

  test('reference: Stuart-Harris 2000, 10 mg morphine sulfate standardised to 70 kg: AUC 290 ± 67 nmol·h/L i.v.; oral with F 0.344 is a third of it', () => {
    const oral = single({ drug: 'morphine', doseMg: 10 });
    const ivNmolH = (oral.active.aucTotal / 0.344 / 285.34) * 1000;
    expect(ivNmolH).toBeGreaterThan(290 - 67);
    expect(ivNmolH).toBeLessThan(290 + 67);
  });
});

describe('every model', () => {
  test.each(K.pk.data.models.map((m) => [m.drug]))('%s: dose proportional (AUC and Cmax double with the dose)', (drug) => {
    const model = K.pk.data.models.find((m) => m.drug === drug)!;
    const low = twin({ drug, doseMg: model.doseLimits.maxSingleMg / 2, intervalHours: 8, days: 3 });
    const high = twin({ drug, doseMg: model.doseLimits.maxSingleMg, intervalHours: 8, days: 3 });
    expect(high.active.auc24 / low.active.auc24).toBeCloseTo(2, 4);
    expect(high.parent.cmax / low.parent.cmax).toBeCloseTo(2, 4);
  });

  test.each(K.pk.data.models.map((m) => [m.drug]))('%s: mass balance holds to 1e-9 with repeated doses', (drug) => {
    const out = twin({ drug, doseMg: 30, intervalHours: 6, days: 5, cyp2d6: { activityScore: 1 } });
    expect(out.massBalance.relativeError).toBeLessThan(1e-9);
    expect(out.massBalance.dosedMg).toBeGreaterThan(0);
  });

  test.each(K.pk.data.models.map((m) => [m.drug]))('%s: steady state is reached, and its interval AUC equals the single-dose total AUC (superposition)', (drug) => {
    const multi = twin({ drug, doseMg: 40, intervalHours: 8, days: 7 });
    expect(multi.steadyState.reached).toBe(true);
    expect(multi.steadyState.atHours).toBeLessThanOrEqual(96);
    // A single dose followed for 10 days: its total AUC x 3 (three 8 h intervals in 24 h) is the steady-state AUC24.
    const model = K.pk.data.models.find((m) => m.drug === drug)!;
    const compiled = compileModel(model, 70, 1);
    const once = simulate(compiled, { baseDoseMg: 40 * model.doseForm.baseFraction.value, intervalHours: 240, durationHours: 240 });
    const total = (model.metabolite ? once.metabolite : once.parent).aucByInterval[0]!;
    expect(multi.active.auc24 / (3 * total)).toBeCloseTo(1, 2);
  });
});
