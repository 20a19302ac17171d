import type { MedicationRequest, MedicationStatement, Observation } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { assessCyp2d6 } from '../../../src/clinical/pgx/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

const tables = loadKnowledge().cyp2d6;
const LOINC = 'http://loinc.org';
const GENE = { code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org', code: 'HGNC:2625', display: 'CYP2D6' }] } };

const genotype = (value: Partial<Observation>, date = '2025-01-01', status: Observation['status'] = 'final'): Observation => ({
  resourceType: 'Observation',
  id: `obs-${Math.random().toString(36).slice(2, 8)}`,
  status,
  code: { coding: [{ system: LOINC, code: '84413-4', display: 'Genotype display name' }] },
  effectiveDateTime: date,
  component: [GENE],
  ...value,
});

const med = (name: string, status = 'active', type: 'MedicationRequest' | 'MedicationStatement' = 'MedicationRequest'): MedicationRequest | MedicationStatement =>
  type === 'MedicationRequest'
    ? { resourceType: 'MedicationRequest', id: name, status: status as MedicationRequest['status'], intent: 'order', subject: { reference: 'Patient/p' }, medicationCodeableConcept: { text: `${name} 20 MG Oral Tablet` } }
    : { resourceType: 'MedicationStatement', id: name, status: status as MedicationStatement['status'], subject: { reference: 'Patient/p' }, medicationCodeableConcept: { text: `${name} 20 MG Oral Tablet` } };

const assess = (observations: Observation[], meds: (MedicationRequest | MedicationStatement)[] = []) => assessCyp2d6({ observations, activeMedications: meds }, tables);

describe('FHIR input forms', () => {
  test.each([
    ['PharmVar coding', { valueCodeableConcept: { coding: [{ system: 'http://www.pharmvar.org', code: 'CYP2D6_*1/*4' }] } }, '*1/*4', 'IM'],
    ['valueString with gene prefix', { valueString: 'CYP2D6 *1/*1x2' }, '*1/*1x2', 'UM'],
    ['text diplotype', { valueCodeableConcept: { text: 'CYP2D6*4.024/CYP2D6*41' } }, '*4/*41', 'IM'],
    ['duplication text', { valueCodeableConcept: { text: '*1/*2x2' } }, '*1/*2x2', 'UM'],
  ] as const)('genotype as %s', (_form, value, diplotype, phenotype) => {
    const a = assess([genotype(value as Partial<Observation>)]);
    expect(a).toMatchObject({ status: 'result', diplotype, form: 'diplotype', phenotype: { code: phenotype } });
  });

  test('a lab-specific code is accepted when gene and value say CYP2D6', () => {
    const o: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'CYP2D6 genotype (in-house panel)' }, valueString: '*4/*4', effectiveDateTime: '2025-02-02' };
    expect(assess([o])).toMatchObject({ status: 'result', diplotype: '*4/*4', phenotype: { code: 'PM' } });
  });

  test('another gene is ignored', () => {
    const o: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'CYP2C19 genotype' }, valueString: 'CYP2C19 *2/*2' };
    expect(assess([o]).status).toBe('no-result');
  });

  test.each([
    ['LOINC answer code', { valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA9657-3', display: 'Poor metabolizer' }] } }, 'PM'],
    ['free text', { valueCodeableConcept: { text: 'Ultrarapid Metabolizer' } }, 'UM'],
    ['old "extensive metabolizer"', { valueString: 'Extensive metabolizer' }, 'NM'],
  ] as const)('phenotype only, as %s', (_form, value, code) => {
    const o = { resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code: '79714-9', display: 'CYP2D6 gene product metabolic activity interpretation' }] }, ...value } as unknown as Observation;
    expect(assess([o])).toMatchObject({ status: 'result', form: 'phenotype-only', phenotype: { code } });
  });

  test.each([
    ['current therapeutic-implication component', '51963-7'],
    ['legacy 53040-2 component', '53040-2'],
  ])('implication observation with a %s', (_name, code) => {
    const o: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'Therapeutic implication' },
      component: [
        GENE,
        { code: { coding: [{ system: LOINC, code }] }, valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA10317-8', display: 'Intermediate metabolizer' }] } },
      ],
    };
    expect(assess([o])).toMatchObject({ status: 'result', phenotype: { code: 'IM' } });
  });

  test('the latest final result wins; preliminary and entered-in-error are ignored', () => {
    const old = genotype({ valueString: 'CYP2D6 *1/*1' }, '2020-01-01');
    const latest = genotype({ valueString: 'CYP2D6 *4/*4' }, '2024-01-01');
    const prelim = genotype({ valueString: 'CYP2D6 *1/*1x2' }, '2025-06-01', 'preliminary');
    const error = genotype({ valueString: 'CYP2D6 *1/*1x2' }, '2025-07-01', 'entered-in-error');
    expect(assess([old, prelim, latest, error])).toMatchObject({ diplotype: '*4/*4', phenotype: { code: 'PM' } });
  });

  test('a genotype and a reported phenotype that disagree: the genotype wins and the card says so', () => {
    const g = genotype({ valueString: 'CYP2D6 *1/*4' });
    const p: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'CYP2D6 phenotype' }, valueString: 'Normal metabolizer' };
    const a = assess([g, p]);
    expect(a).toMatchObject({ phenotype: { code: 'IM' } });
    expect(a.status === 'result' && a.discrepancy).toContain('Normal metabolizer');
  });
});

describe('phenoconversion', () => {
  const nm = genotype({ valueString: 'CYP2D6 *1/*1' });
  test.each([
    ['paroxetine (strong)', ['paroxetine'], 'PM', true],
    ['duloxetine (moderate)', ['duloxetine'], 'IM', true],
    ['strong and moderate together: the strong one counts', ['duloxetine', 'fluoxetine'], 'PM', true],
    ['a stopped inhibitor is ignored', [], 'NM', false],
  ] as const)('*1/*1 with %s', (_name, drugs, code, converted) => {
    const meds = [...drugs.map((d) => med(d)), med('bupropion', 'stopped')];
    const a = assess([nm], meds);
    expect(a).toMatchObject({ genotypePhenotype: { code: 'NM' }, phenotype: { code }, phenoconverted: converted });
    if (converted && a.status === 'result') expect(a.phenoconversionNote).toMatch(/approximation/);
  });

  test('an inhibitor from a MedicationStatement counts', () => {
    expect(assess([nm], [med('paroxetine', 'active', 'MedicationStatement')])).toMatchObject({ phenotype: { code: 'PM' } });
  });

  test('an inhibitor matched by RxNorm ingredient code', () => {
    const m: MedicationRequest = { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p' }, medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '32937' }] } };
    expect(assess([nm], [m])).toMatchObject({ phenotype: { code: 'PM' } });
  });

  test('a poor metabolizer on bupropion stays poor and is not called phenoconverted', () => {
    expect(assess([genotype({ valueString: '*4/*4' })], [med('bupropion')])).toMatchObject({ phenotype: { code: 'PM' }, phenoconverted: false });
  });

  test('an ultrarapid metabolizer on fluoxetine behaves as a poor metabolizer', () => {
    const a = assess([genotype({ valueString: '*1/*1x2' })], [med('fluoxetine')]);
    expect(a).toMatchObject({ genotypePhenotype: { code: 'UM' }, phenotype: { code: 'PM' }, phenoconverted: true });
    expect(a.status === 'result' && a.phenoconversionNote).toContain('long washout');
  });

  test('a phenotype-only normal metabolizer with a moderate inhibitor moves one step down', () => {
    const p: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'CYP2D6 phenotype' }, valueString: 'Normal metabolizer' };
    expect(assess([p], [med('duloxetine')])).toMatchObject({ phenotype: { code: 'IM' }, phenoconverted: true });
  });
});
