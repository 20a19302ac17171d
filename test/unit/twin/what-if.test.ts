import type { Condition, MedicationStatement, Observation } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { armExposureNote, parsePkModelsTable, regimenSentences, TwinInputError, twinRecordFacts, whatIf, whatIfRequestSchema, type TwinRecordInput } from '../../../src/clinical/twin/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';
import { K } from './knowledge.js';

const pain = loadKnowledge();
const table = K.pk.data;

describe('armExposureNote (for the N-of-1 planner)', () => {
  const codeine = { drug: 'codeine', doseMg: 30, intervalHours: 6 };
  const tramadol = { drug: 'tramadol', doseMg: 50, intervalHours: 6 };

  test('a poor metabolizer on codeine: little active drug, below the named low cut-off, information only', () => {
    const n = armExposureNote(codeine, { weightKg: 70, cyp2d6: { diplotype: '*4/*4' } }, K);
    expect(n.level).toBe('little-active-drug');
    expect(n.activeMoiety).toBe('morphine');
    expect(n.fractionOfNormal).toBeLessThan(table.exposureNotes.lowFraction.value);
    expect(n.fractionOfNormal).toBeLessThan(0.05);
    expect(n.note).toMatch(/^Information only: .*little morphine \(about 1% of a normal metabolizer's exposure/);
    expect(n.cutOffs).toEqual({ low: 0.25, high: 1.25, version: `pk-models@${K.pk.meta.version}#exposureNotes@${table.exposureNotes.version}` });
    expect(n.auc24).toBeGreaterThan(0);
    expect(n.cmax).toBeGreaterThan(0);
  });

  test('tramadol in a poor metabolizer is flagged too (about 23% of normal M1); a normal metabolizer is not', () => {
    expect(armExposureNote(tramadol, { weightKg: 70, cyp2d6: { phenotype: 'PM' } }, K).level).toBe('little-active-drug');
    const normal = armExposureNote(tramadol, { weightKg: 70, cyp2d6: { activityScore: 2 } }, K);
    expect(normal.level).toBe('expected');
    expect(normal.note).toBeNull();
    expect(normal.fractionOfNormal).toBeCloseTo(1, 6);
  });

  test('intermediate metabolizers (activity score 1) stay above the low cut-off for both drugs', () => {
    expect(armExposureNote(codeine, { weightKg: 70, cyp2d6: { activityScore: 1 } }, K).level).toBe('expected');
    expect(armExposureNote(tramadol, { weightKg: 70, cyp2d6: { activityScore: 1 } }, K).level).toBe('expected');
  });

  test('an ultrarapid metabolizer on codeine or tramadol: unusually high exposure', () => {
    const n = armExposureNote(codeine, { weightKg: 70, cyp2d6: { diplotype: '*1/*1x2' } }, K);
    expect(n.level).toBe('unusually-high');
    expect(n.note).toMatch(/unusually high morphine exposure \(about 1\.4 times/);
    expect(armExposureNote(tramadol, { weightKg: 70, cyp2d6: { phenotype: 'UM' } }, K).level).toBe('unusually-high');
  });

  test('a strong inhibitor turns a normal metabolizer into a poor one for the note', () => {
    expect(armExposureNote(codeine, { weightKg: 70, cyp2d6: { activityScore: 2 }, inhibitors: ['paroxetine'] }, K).level).toBe('little-active-drug');
  });

  test('morphine never gets a CYP2D6 note; no CYP2D6 result is simulated as a normal metabolizer and says so', () => {
    const m = armExposureNote({ drug: 'morphine', doseMg: 15, intervalHours: 4 }, { weightKg: 70, cyp2d6: { phenotype: 'PM' } }, K);
    expect(m.level).toBe('not-cyp2d6-dependent');
    expect(m.note).toBeNull();
    const unknown = armExposureNote({ ...codeine, doseMg: 60 }, { weightKg: 70, cyp2d6: { diplotype: '*1/*1x2' } }, K);
    expect(unknown.note).toMatch(/for this patient,/);
  });

  test('an unknown drug is refused with the field', () => {
    expect(() => armExposureNote({ drug: 'oxycodone', doseMg: 5, intervalHours: 6 }, { weightKg: 70 }, K)).toThrow(TwinInputError);
  });
});

describe('whatIf', () => {
  const request = (patient: Record<string, unknown>, regimens: Record<string, unknown>[]) => whatIfRequestSchema.parse({ patient: { weightKg: 70, ...patient }, regimens });

  test('without a CYP2D6 result, the CPIC advice is unknown, never "not affected"', () => {
    const out = whatIf(request({}, [{ drug: 'codeine', doseMg: 30, intervalHours: 6 }]), pain.twin);
    expect(out.patient.cyp2d6).toBeNull();
    expect(out.regimens[0]!.cpic).toMatchObject({ phenotype: null, affected: null });
    expect(out.regimens[0]!.cpic.advice).toMatch(/unknown/);
    expect(out.regimens[0]!.summary[0]).toMatch(/your result is not known here/);
  });

  test('each regimen carries the normal-metabolizer steady-state swing, the MME from the project tables and the kidney and liver limits', () => {
    const out = whatIf(request({ cyp2d6: { phenotype: 'UM' }, eGFR: 25, liver: 'cirrhosis' }, [{ drug: 'codeine', doseMg: 60, intervalHours: 6 }, { drug: 'morphine', doseMg: 15, intervalHours: 4 }]), pain.twin);
    const [codeine, morphine] = out.regimens;
    expect(codeine!.mme.perDay).toBe(36); // 240 mg codeine a day x 0.15
    expect(codeine!.normalMetabolizer.steadyStateRange.low).toBeLessThan(codeine!.normalMetabolizer.steadyStateRange.high);
    expect(codeine!.active.cmax).toBeGreaterThan(codeine!.normalMetabolizer.steadyStateRange.high);
    expect(codeine!.kidney).toMatchObject({ eGFR: 25, applied: false });
    expect(codeine!.liver).toMatchObject({ status: 'cirrhosis', applied: false });
    expect(codeine!.renalHepaticSources.join(' ')).toMatch(/Osborne R/);
    expect(morphine!.liver.statement).toMatch(/Hasselström/);
    expect(out.kidneyAndLiver).toMatch(/never applied/);
  });

  test('the error of one regimen names it', () => {
    expect(() => whatIf(request({}, [{ drug: 'codeine', doseMg: 30, intervalHours: 6 }, { drug: 'codeine', doseMg: 60, intervalHours: 2 }]), pain.twin)).toThrow(/^regimens\.1\.intervalHours: 60 mg every 2 h is 720 mg a day/);
  });

  test('the sentences say what the body is expected to make and that it is not a dose to follow', () => {
    const s = regimenSentences({ drug: 'codeine', active: 'morphine', doseMg: 30, intervalHours: 6, level: 'expected', fraction: 1, mme: 18, inhibitors: [], hasResult: true });
    expect(s[0]).toBe('With codeine 30 mg every 6 hours, your body is expected to make about as much morphine as most people on the same dose (morphine is the part that eases pain).');
    expect(s.at(-1)).toMatch(/not a dose to follow/);
    expect(regimenSentences({ drug: 'codeine', active: 'morphine', doseMg: 30, intervalHours: 6, level: 'expected', fraction: 1, mme: null, inhibitors: [], hasResult: true }).join(' ')).toMatch(/could not be worked out/);
  });
});

describe('twinRecordFacts', () => {
  const egfr = (code: string, value: number, date: string, status: Observation['status'] = 'final'): Observation => ({
    resourceType: 'Observation',
    status,
    code: { coding: [{ system: 'http://loinc.org', code, display: 'eGFR' }] },
    effectiveDateTime: date,
    valueQuantity: { value, unit: 'mL/min/{1.73_m2}' },
  });
  const condition = (system: string, code: string, clinical?: string): Condition => ({
    resourceType: 'Condition',
    subject: { reference: 'Patient/p' },
    code: { coding: [{ system, code }], text: `condition ${code}` },
    ...(clinical ? { clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: clinical }] } } : {}),
  });
  const paroxetine: MedicationStatement = { resourceType: 'MedicationStatement', status: 'active', subject: { reference: 'Patient/p' }, medicationCodeableConcept: { text: 'Paroxetine 20 MG Oral Tablet' } };
  const none: TwinRecordInput = { observations: [], conditions: [], medicationRequests: [], medicationStatements: [], unavailable: [] };
  const facts = (input: Partial<TwinRecordInput>) => twinRecordFacts({ ...none, ...input }, table, pain.cyp2d6.inhibitors.data);

  test('the latest final eGFR of the listed LOINC codes; preliminary results and other codes are ignored', () => {
    const f = facts({ observations: [egfr('33914-3', 70, '2025-01-01'), egfr('98979-8', 42, '2026-03-01'), egfr('62238-1', 20, '2026-06-01', 'preliminary'), egfr('2160-0', 1.1, '2026-07-01')] });
    expect(f.eGFR).toMatchObject({ known: true, value: 42, date: '2026-03-01', code: '98979-8' });
  });

  test('a laboratory that still reports race-specific MDRD or CKD-EPI results is read too', () => {
    expect(facts({ observations: [egfr('48642-3', 38, '2026-02-01')] }).eGFR).toMatchObject({ known: true, value: 38, code: '48642-3' });
    expect(facts({ observations: [egfr('88294-4', 55, '2026-02-01'), egfr('48643-1', 61, '2026-01-01')] }).eGFR).toMatchObject({ value: 55, code: '88294-4' });
  });

  test('cirrhosis by SNOMED code or ICD-10-CM prefix, not when resolved; none recorded is not "normal"', () => {
    expect(facts({ conditions: [condition('http://hl7.org/fhir/sid/icd-10-cm', 'K74.60')] }).liver).toMatchObject({ status: 'cirrhosis', conditions: ['condition K74.60'] });
    expect(facts({ conditions: [condition('http://snomed.info/sct', '19943007', 'active')] }).liver.status).toBe('cirrhosis');
    expect(facts({ conditions: [condition('http://snomed.info/sct', '19943007', 'resolved')] }).liver.status).toBe('none-recorded');
    expect(facts({ conditions: [condition('http://hl7.org/fhir/sid/icd-10-cm', 'K76.0')] }).liver.status).toBe('none-recorded');
  });

  test('unreadable parts of the record are unknown, never none', () => {
    const f = facts({ unavailable: [{ key: 'observations' }, { key: 'conditions' }, { key: 'medicationStatements' }] });
    expect(f.eGFR.known).toBe(false);
    expect(f.liver).toMatchObject({ known: false, status: 'unknown' });
    expect(f.inhibitors.known).toBe(false);
  });

  test('active CYP2D6 inhibitors by name', () => {
    expect(facts({ medicationStatements: [paroxetine] }).inhibitors).toEqual({ known: true, names: ['paroxetine'] });
  });
});

describe('pk-models.json: ranges, limits and cut-offs are cited or refused', () => {
  const json = () => JSON.parse(JSON.stringify({ meta: K.pk.meta, data: K.pk.data })) as { meta: unknown; data: typeof table };

  test('the repository table parses; every model states its ranges (or that the sources give none) and its kidney and liver limits', () => {
    for (const m of table.models) {
      expect(m.referenceRanges.note.length).toBeGreaterThan(20);
      expect(m.renalHepatic.renal).toMatch(/does not account for reduced kidney function/);
      expect(m.renalHepatic.hepatic).toMatch(/does not account for liver disease/);
    }
  });

  test('an uncited kidney source, an exposure cut-off on the wrong side of 1, or a range without a source are refused', () => {
    const uncited = json();
    uncited.data.models[0]!.renalHepatic.sources.push('someone2030');
    expect(() => parsePkModelsTable(uncited)).toThrow(/someone2030/);
    const wrong = json();
    (wrong.data.exposureNotes.lowFraction as { value: number }).value = 1.5;
    expect(() => parsePkModelsTable(wrong)).toThrow(/lowFraction must be below 1/);
    const invented = json() as { data: { models: { referenceRanges: Record<string, unknown> }[] } };
    invented.data.models[0]!.referenceRanges.analgesic = { low: 10, high: 100, unit: 'ng/mL' };
    expect(() => parsePkModelsTable(invented)).toThrow();
  });
});
