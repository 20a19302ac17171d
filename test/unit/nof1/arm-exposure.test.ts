import { describe, expect, test } from 'vitest';
import { armDoseProblems, armExposures, cyp2d6SpecFrom } from '../../../src/clinical/nof1/arm-exposure.js';
import { armExposureNote } from '../../../src/clinical/twin/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';
import { CODEINE, OXYCODONE, TRAMADOL, WALKING } from './fhir-helpers.js';

/**
 * The N-of-1 planner's in-silico trial: each drug arm's exposure as the twin
 * simulates it for this patient, with the twin's information-only note; an arm
 * it cannot simulate says why, and an unreadable CYP2D6 result is never
 * simulated as a normal one.
 */
const k = loadKnowledge();
const MORPHINE = { label: 'Morphine 15 mg four times a day', kind: 'drug' as const, medication: { display: 'Morphine Sulfate 15 MG Oral Tablet' }, dose: { amount: 15, unit: 'mg', timesPerDay: 4 } };

describe('armExposures', () => {
  test('codeine for a poor metabolizer: little morphine, the note says so; the dose in mg comes from the product (1 tablet = 30 mg codeine)', () => {
    const [codeine, morphine] = armExposures({ A: CODEINE, B: MORPHINE }, { weightKg: 70, cyp2d6: { diplotype: '*4/*4' }, inhibitors: [] }, k.twin, k.mme);
    expect(codeine!.exposure!.level).toBe('little-active-drug');
    expect(codeine!.text).toMatch(/^Information only: .*codeine 30 mg every 6 h .*little morphine/);
    // The same numbers as the twin's own function for the regimen read from the product.
    expect(codeine!.exposure).toEqual(armExposureNote({ drug: 'codeine', doseMg: 30, intervalHours: 6 }, { weightKg: 70, cyp2d6: { diplotype: '*4/*4' }, inhibitors: [] }, k.twin));
    expect(morphine!.exposure!.level).toBe('not-cyp2d6-dependent');
    expect(morphine!.text).toContain('not changed by CYP2D6');
  });

  test('tramadol for an ultrarapid metabolizer: unusually high O-desmethyltramadol', () => {
    const [tramadol] = armExposures({ A: TRAMADOL, B: WALKING }, { weightKg: 80, cyp2d6: { diplotype: '*1/*1x2' }, inhibitors: [] }, k.twin, k.mme);
    expect(tramadol!.exposure!.level).toBe('unusually-high');
    expect(tramadol!.text).toContain('unusually high');
  });

  test('an inhibitor on the medication list is applied: a normal metabolizer on paroxetine gets little morphine from codeine', () => {
    const [free] = armExposures({ A: CODEINE, B: WALKING }, { weightKg: 70, cyp2d6: { diplotype: '*1/*1' }, inhibitors: [] }, k.twin, k.mme);
    const [inhibited] = armExposures({ A: CODEINE, B: WALKING }, { weightKg: 70, cyp2d6: { diplotype: '*1/*1' }, inhibitors: ['paroxetine'] }, k.twin, k.mme);
    expect(free!.exposure!.level).toBe('expected');
    expect(free!.text).not.toContain('Information only');
    expect(inhibited!.exposure!.auc24).toBeLessThan(free!.exposure!.auc24 / 4);
  });

  test('what cannot be simulated says why: a drug without a model, no weight, a dose not in mg, a non-drug arm has no line', () => {
    const out = armExposures({ A: OXYCODONE, B: WALKING }, { weightKg: 70, cyp2d6: { diplotype: '*1/*1' }, inhibitors: [] }, k.twin, k.mme);
    expect(out).toHaveLength(1);
    expect(out[0]!.text).toBe(`Not simulated: the twin has models for ${k.twin.pk.data.models.map((m) => m.drug).join(', ')} only.`);
    const noWeight = armExposures({ A: TRAMADOL, B: WALKING }, { cyp2d6: { diplotype: '*1/*1' }, inhibitors: [] }, k.twin, k.mme);
    expect(noWeight[0]!.text).toContain("enter the patient's weight");
    expect(noWeight[0]!.exposure).toBeUndefined();
    expect(armExposures({ A: TRAMADOL, B: WALKING }, { weightKg: 1, inhibitors: [] }, k.twin, k.mme)[0]!.text).toBe('Not simulated: a weight of 1 kg must be at least 30 kg (adult models) for these models.');
    const drops = { ...TRAMADOL, medication: { display: 'tramadol' }, dose: { amount: 20, unit: 'drops', timesPerDay: 3 } };
    expect(armExposures({ A: drops, B: WALKING }, { weightKg: 70, inhibitors: [] }, k.twin, k.mme)[0]!.text).toMatch(/^Not simulated: the dose in mg could not be worked out \(20 drops/);
  });

  test('unknown is not normal: unreadable laboratory results simulate no CYP2D6-dependent arm; no result on file is shown for a normal metabolizer and says so', () => {
    const [codeine, morphine] = armExposures({ A: CODEINE, B: MORPHINE }, { weightKg: 70, cyp2d6: 'unreadable', inhibitors: [] }, k.twin, k.mme);
    expect(codeine!.exposure).toBeUndefined();
    expect(codeine!.text).toContain('could not be read');
    expect(morphine!.exposure).toBeDefined();
    const [none] = armExposures({ A: CODEINE, B: WALKING }, { weightKg: 70 }, k.twin, k.mme);
    expect(none!.text).toContain("no CYP2D6 result on file: shown for a normal metabolizer, this patient's may differ");
    expect(none!.text).toContain('the medication list could not be read: no inhibitor applied');
  });

  test('the CYP2D6 result as the twin takes it: the diplotype, else the reported phenotype, else none', () => {
    expect(cyp2d6SpecFrom({ 'cyp2d6.hasResult': true, 'cyp2d6.diplotype': '*1/*4', 'cyp2d6.genotypePhenotype': 'Intermediate metabolizer' })).toEqual({ diplotype: '*1/*4' });
    expect(cyp2d6SpecFrom({ 'cyp2d6.hasResult': true, 'cyp2d6.diplotype': null, 'cyp2d6.genotypePhenotype': 'Poor metabolizer' })).toEqual({ phenotype: 'Poor metabolizer' });
    expect(cyp2d6SpecFrom({ 'cyp2d6.hasResult': false })).toBeUndefined();
  });
});

describe('armDoseProblems', () => {
  test('a codeine or tramadol arm above its labelled single or daily maximum is refused with the label; within it, or morphine, is not', () => {
    const tramadol = (amount: number, timesPerDay: number) => ({ ...TRAMADOL, dose: { amount, unit: 'tablet', timesPerDay } });
    expect(armDoseProblems({ A: tramadol(1, 4), B: WALKING }, k.twin, k.mme)).toEqual([]);
    const [single] = armDoseProblems({ A: tramadol(3, 2), B: WALKING }, k.twin, k.mme);
    expect(single).toEqual({ path: 'arms.A.dose', message: expect.stringMatching(/^150 mg of tramadol a dose is above the labelled maximum of 100 mg \(ULTRAM label/) });
    const [daily] = armDoseProblems({ A: WALKING, B: tramadol(2, 6) }, k.twin, k.mme);
    expect(daily).toEqual({ path: 'arms.B.dose', message: expect.stringMatching(/^600 mg of tramadol a day is above the labelled maximum of 400 mg/) });
    const codeine = { ...CODEINE, medication: { display: 'Codeine Phosphate 30 MG Oral Tablet' }, dose: { amount: 100, unit: 'tablet', timesPerDay: 24 } };
    expect(armDoseProblems({ A: codeine, B: WALKING }, k.twin, k.mme)[0]!.message).toMatch(/^3000 mg of codeine a dose is above the labelled maximum of 60 mg/);
    expect(armDoseProblems({ A: { ...MORPHINE, dose: { amount: 300, unit: 'mg', timesPerDay: 6 } }, B: WALKING }, k.twin, k.mme)).toEqual([]);
  });
});
