import { describe, expect, test } from 'vitest';
import { describeIssues, runTwin, twinInputSchema, TwinInputError, Cyp2d6InputError, ILLUSTRATION_LABEL } from '../../../src/clinical/twin/index.js';
import { K } from './knowledge.js';

const base = { drug: 'codeine', doseMg: 60, intervalHours: 6, days: 3, weightKg: 70, cyp2d6: { activityScore: 2 }, inhibitors: ['paroxetine'] };
const problems = (request: unknown) => {
  const r = twinInputSchema.safeParse(request);
  return r.success ? [] : describeIssues(r.error);
};
const run = (request: Record<string, unknown>) => runTwin(twinInputSchema.parse({ ...base, ...request }), K);

describe('the what-if request and output', () => {
  test('the issue example: parent and active with name, unit, auc24, cmax; series; effective score; versions; label', () => {
    const out = run({});
    expect(out.label).toBe(ILLUSTRATION_LABEL);
    expect(out.label).toMatch(/not a dosing tool/);
    expect(out.parent).toMatchObject({ name: 'codeine', unit: 'ng/mL' });
    expect(out.active).toMatchObject({ name: 'morphine', unit: 'ng/mL' });
    expect(out.parent.auc24).toBeGreaterThan(0);
    expect(out.active.cmax).toBeGreaterThan(0);
    expect(out.effectiveActivityScore).toBe(0); // paroxetine, strong: x 0
    expect(out.modelVersions[0]).toMatch(/^pk-models@.+#codeine-morphine@1\.1\.0$/);
    expect(out.modelVersions).toContain(`cyp2d6-inhibitors@${K.cyp2d6Meta[2]!.version}`);
    expect(out.series.timeHours).toHaveLength(out.series.parent.length);
    expect(out.series.timeHours.at(-1)).toBe(72);
    expect(out.limitations.join(' ')).toMatch(/Renal impairment \(eGFR\) and hepatic impairment are not modelled/);
    // The sources give no analgesic or toxic range: said, not invented.
    expect(out.referenceRanges).toMatchObject({ analgesic: null, toxic: null });
    expect(out.renalHepatic.renal).toMatch(/morphine-6-glucuronide/);
  });

  test('a diplotype and a phenotype are read with the project CYP2D6 tables; a moderate inhibitor halves the score', () => {
    expect(run({ cyp2d6: { diplotype: 'CYP2D6*1/*2x2' }, inhibitors: [] }).effectiveActivityScore).toBe(3);
    expect(run({ cyp2d6: { phenotype: 'Poor metabolizer' }, inhibitors: [] }).effectiveActivityScore).toBe(0);
    expect(run({ cyp2d6: { phenotype: 'UM' }, inhibitors: [] }).effectiveActivityScore).toBe(3);
    expect(run({ cyp2d6: { activityScore: 2 }, inhibitors: ['duloxetine'] }).effectiveActivityScore).toBe(1);
    const unknown = run({ inhibitors: ['sertraline'] });
    expect(unknown.effectiveActivityScore).toBe(2);
    expect(unknown.cyp2d6).toMatchObject({ inhibitorsNotListed: ['sertraline'] });
  });

  test('eGFR and liver status are echoed with a warning that no cited model applies them', () => {
    const out = run({ eGFR: 25, hepaticImpairment: 'moderate' });
    expect(out.warnings.join(' ')).toMatch(/eGFR 25 was given but is not applied/);
    expect(out.warnings.join(' ')).toMatch(/Hepatic impairment \(moderate\) was given but is not applied/);
  });

  test('missing weight, impossible numbers and unknown fields name the field', () => {
    const noWeight: Record<string, unknown> = { ...base };
    delete noWeight.weightKg;
    expect(problems(noWeight)).toEqual(['weightKg: is required (kg): the models scale clearance and volume with weight']);
    expect(problems({ ...base, doseMg: -5 })).toEqual(['doseMg: must be more than 0 mg']);
    expect(problems({ ...base, doseMg: 'sixty' })[0]).toMatch(/^doseMg: /);
    expect(problems({ ...base, intervalHours: 0 })).toEqual(['intervalHours: must be at least 1 hour']);
    expect(problems({ ...base, dose: 60 })).toEqual(['(top level): unknown field(s) dose']);
    expect(problems({ ...base, cyp2d6: { score: 2 } })[0]).toMatch(/^cyp2d6: must be one of/);
  });

  test('unknown drugs, doses above the labelled range and unreadable CYP2D6 results are refused with the field', () => {
    expect(() => run({ drug: 'aspirin' })).toThrow(TwinInputError);
    expect(() => run({ drug: 'aspirin' })).toThrow(/^drug: unknown drug "aspirin"; the twin has models for codeine, tramadol, morphine$/);
    expect(() => run({ doseMg: 600 })).toThrow(/^doseMg: 600 mg is above the 60 mg single dose/);
    expect(() => run({ doseMg: 60, intervalHours: 2 })).toThrow(/^intervalHours: 60 mg every 2 h is 720 mg a day, above 360 mg/);
    expect(() => run({ cyp2d6: { diplotype: '*1/*4 and *5' } })).toThrow(Cyp2d6InputError);
    expect(() => run({ cyp2d6: { phenotype: 'rapid metabolizer' } })).toThrow(/not a CPIC CYP2D6 phenotype/);
  });
});

describe('the weight warning', () => {
  test('follows the studied weight band of pk-models.json, not a range written in the code', () => {
    const band = K.pk.data.studiedWeightKg;
    const warned = (weightKg: number, k = K) => runTwin(twinInputSchema.parse({ ...base, weightKg }), k).warnings.some((w) => w.includes('outside the usual range'));
    expect(warned(band.low - 1)).toBe(true);
    expect(warned(band.high + 1)).toBe(true);
    expect(warned((band.low + band.high) / 2)).toBe(false);
    const wider = { ...K, pk: { ...K.pk, data: { ...K.pk.data, studiedWeightKg: { ...band, low: band.low - 10 } } } };
    expect(warned(band.low - 1, wider)).toBe(false);
  });
});
