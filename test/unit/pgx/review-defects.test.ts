import type { MedicationRequest, Observation } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { pgxPatientFacts } from '../../../src/clinical/facts/pgx-facts.js';
import { analgesicImpact, assessCyp2d6, describeScore, normalizeDiplotype, phenotypeFromScore, scoreDiplotype } from '../../../src/clinical/pgx/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** Patients from the independent clinical review (issue 13, section "CYP2D6"). */
const tables = loadKnowledge().cyp2d6;
const activity = tables.activity.data;
const ph = tables.phenotypes.data;
const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const genotype = (text: string): Observation => ({
  resourceType: 'Observation',
  id: 'g',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '84413-4', display: 'Genotype display name' }] },
  effectiveDateTime: '2025-01-01',
  component: [{ code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org', code: 'HGNC:2625', display: 'CYP2D6' }] } }],
  valueString: `CYP2D6 ${text}`,
});
const phenotypeResult = (value: Observation['valueCodeableConcept']): Observation => ({
  resourceType: 'Observation',
  id: 'p',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '79714-9' }], text: 'CYP2D6 phenotype' },
  effectiveDateTime: '2025-01-01',
  ...(value ? { valueCodeableConcept: value } : {}),
});
const medication = (concept: MedicationRequest['medicationCodeableConcept']): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  id: 'm',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p' },
  medicationCodeableConcept: concept!,
});
const byName = (name: string) => medication({ text: `${name} 20 MG Oral Tablet` });
const assess = (observations: Observation[], meds: MedicationRequest[] = []) => assessCyp2d6({ observations, activeMedications: meds }, tables);

describe('unknown copy number (xN) is the lower bound of CPIC\'s three-or-more-copies bin', () => {
  test.each([
    // *41 is 0.25 in the CPIC data since v1.23.1 (2023), so three copies are 0.75.
    ['*4/*41xN', '≥0.75', 'IM'],
    ['*10/*10xN', '≥1.0', 'IM'],
    ['*1/*41xN', '≥1.75', 'NM'],
    ['*2xN/*4', '≥3.0', 'UM'],
    ['*1/*1xN', '≥4.0', 'UM'],
  ] as const)('%s scores %s and is a single phenotype, %s', (diplotype, score, code) => {
    const s = scoreDiplotype(diplotype, activity);
    expect(describeScore(s)).toBe(score);
    expect(phenotypeFromScore(s, ph)).toEqual({ code, display: ph.phenotypes[code].display, possible: [code] });
  });

  test('the table names the rule and the bin it uses', () => {
    expect(activity.unknownCopyNumber).toEqual({ countAs: 3 });
    expect(tables.activity.meta.notes).toMatch(/xN/);
  });

  test('*4/*41xN and *10/*10xN are never "possibly ultrarapid" on a card', () => {
    for (const d of ['*4/*41xN', '*10/*10xN']) {
      const a = assess([genotype(d)]);
      expect(a).toMatchObject({ phenotype: { code: 'IM', possible: ['IM'] } });
    }
  });
});

describe('a strong inhibitor makes any result poor-metabolizer-like', () => {
  test('an Indeterminate genotype with paroxetine acts as a poor metabolizer, and says why', () => {
    const a = assess([genotype('*1/*22')], [byName('paroxetine')]);
    expect(a).toMatchObject({ genotypePhenotype: { code: 'Indeterminate' }, phenotype: { code: 'PM' }, phenoconverted: true });
    expect(a.status === 'result' && a.phenoconversionNote).toMatch(/paroxetine/i);
    expect(a.status === 'result' && a.phenoconversionNote).toMatch(/whatever the genotype/);
  });

  test('a phenotype-only Indeterminate result with fluoxetine acts as a poor metabolizer', () => {
    const a = assess([phenotypeResult({ text: 'Indeterminate' })], [byName('fluoxetine')]);
    expect(a).toMatchObject({ phenotype: { code: 'PM' }, phenoconverted: true });
  });

  test('a moderate inhibitor leaves an Indeterminate result Indeterminate', () => {
    expect(assess([genotype('*1/*22')], [byName('duloxetine')])).toMatchObject({ phenotype: { code: 'Indeterminate' } });
  });
});

describe('input forms the review found unread', () => {
  test.each([
    ['*2A/*4K', '*2/*4', 'IM'],
    ['*1/*2A', '*1/*2', 'NM'],
    ['*10B/*10B', '*10/*10', 'IM'],
  ] as const)('legacy sub-allele letters: %s is %s', (text, normal, code) => {
    expect(normalizeDiplotype(text)).toBe(normal);
    expect(assess([genotype(text)])).toMatchObject({ diplotype: normal, phenotype: { code } });
  });

  test('legacy letters never swallow a copy number: *1xN stays a duplication', () => {
    expect(normalizeDiplotype('*1xN/*4')).toBe('*1xN/*4');
  });

  test.each([
    ['fluoxetine 20 MG Oral Capsule (SCD)', '310385'],
    ['paroxetine 20 MG Oral Tablet (SCD)', '1738495'],
  ])('an inhibitor coded only by a clinical drug code is found: %s', (_name, code) => {
    const a = assess([genotype('*1/*1')], [medication({ coding: [{ system: RXNORM, code }] })]);
    expect(a).toMatchObject({ phenotype: { code: 'PM' }, phenoconverted: true });
  });
});

describe('phenoconversion text', () => {
  test('the genotype\'s own prediction and the phenotype to act on are two sentences', () => {
    const a = assess([genotype('*1/*1')], [byName('paroxetine')]);
    const facts = pgxPatientFacts(a, tables);
    const result = facts['cyp2d6.resultNote'] as string;
    const note = facts['cyp2d6.phenoconversionNote'] as string;
    expect(facts['cyp2d6.basis']).toContain('*1/*1');
    expect(result).toBe('By itself, this genotype predicts a normal metabolizer.');
    expect(result).not.toMatch(/poor/);
    expect(note).toMatch(/^Act as for a poor metabolizer/);
    expect(`${result} ${note}`).not.toMatch(/predicting a poor/);
  });
});

describe('LOINC answer codes mean what they say', () => {
  // HL7 Genomics Reporting IG STU3, ValueSet genetic-therapeutic-implications-vs (LOINC answers).
  const VERIFIED: Record<string, string> = { 'LA10315-2': 'UM', 'LA25391-6': 'NM', 'LA10317-8': 'IM', 'LA9657-3': 'PM' };

  test('each phenotype lists only the LA code that names it', () => {
    for (const [code, p] of Object.entries(ph.phenotypes)) for (const la of p.loinc) expect(VERIFIED[la]).toBe(code);
  });

  test('LA25390-8 means "Rapid metabolizer": a CYP2D6 result coded so is Indeterminate and the reason says rapid', () => {
    const a = assess([phenotypeResult({ coding: [{ system: LOINC, code: 'LA25390-8' }] })]);
    expect(a).toMatchObject({ phenotype: { code: 'Indeterminate' } });
    expect(a.status === 'result' && a.indeterminateReason).toMatch(/rapid/i);
  });
});

describe('analgesics without a CPIC recommendation', () => {
  test.each(['oxycodone', 'methadone'])('%s: "no CPIC recommendation", not "not affected"', (drug) => {
    const row = analgesicImpact('UM', tables.recommendations.data).find((r) => r.drug === drug)!;
    expect(row.affected).toBeNull();
    expect(row.advice).toMatch(/No CPIC recommendation/);
  });
});
