import { describe, expect, test } from 'vitest';
import { buildDials, pegBenefit } from '../../../src/clinical/pro/dials.js';
import { completeForm, questionnaireFor } from '../../../src/clinical/pro/questionnaire.js';
import { proReadings } from '../../../src/clinical/pro/readings.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** The questionnaires and the resources the app writes, and the readings and dials made from them. */
const pro = loadKnowledge().pro;
const table = pro.instruments;
const NOW = new Date('2026-06-01T12:00:00Z');

describe('questionnaires from the instrument table', () => {
  test('only instruments whose licence allows it are rendered, with every item required', () => {
    const rendered = table.instruments.map((i) => questionnaireFor(table, i, '1.0.0')).filter((q) => q !== undefined).map((q) => q.id);
    expect(rendered).toEqual(['peg', 'nrs', 'phq2', 'phq9', 'gad7', 'startback']);
    const phq9 = questionnaireFor(table, table.instruments.find((i) => i.id === 'phq9')!, '1.0.0')!;
    expect(phq9.code).toEqual([{ system: 'http://loinc.org', code: '44249-1', display: expect.any(String) }]);
    expect(phq9.item?.every((i) => i.required && i.answerOption?.length === 4)).toBe(true);
    expect(phq9.copyright).toContain('No permission required');
  });

  test('a completed PHQ-9 gives a response and survey Observations derived from it, item 9 on its own', () => {
    const answers = Object.fromEntries(table.instruments.find((i) => i.id === 'phq9')!.items.map((i) => [i.linkId, i.linkId === '44260-8' ? 'LA6569-3' : 'LA6570-1']));
    const done = completeForm(table, '1.0.0', { instrumentId: 'phq9', answers, patientId: 'p1', authored: NOW, responseId: 'qr-1' });
    if ('problems' in done) throw new Error(done.problems.join());
    expect(done.questionnaireResponse).toMatchObject({ resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: 'urn:pain-cds:questionnaire/phq9|1.0.0', subject: { reference: 'Patient/p1' } });
    expect(done.observations.map((o) => [o.code.coding?.[0]?.code, o.valueQuantity?.value ?? o.valueCodeableConcept?.coding?.[0]?.code])).toEqual([['44261-6', 17], ['44260-8', 'LA6569-3']]);
    for (const o of done.observations) {
      expect(o.category?.[0]?.coding?.[0]?.code).toBe('survey');
      expect(o.derivedFrom).toEqual([{ reference: 'QuestionnaireResponse/qr-1' }]);
    }
    // What the app writes is what the service reads back.
    const readings = proReadings(done.observations, table);
    expect(readings.map((r) => [r.instrument.id, r.value])).toEqual([['phq9', 17]]);
  });

  test('an incomplete form is refused with the items missing', () => {
    const done = completeForm(table, '1.0.0', { instrumentId: 'gad7', answers: { '69725-0': 'LA6568-5' }, patientId: 'p1', authored: NOW, responseId: 'qr-2' });
    expect('problems' in done && done.problems.length).toBe(6);
  });

  test('licensed instruments cannot be completed in the app', () => {
    expect('problems' in completeForm(table, '1.0.0', { instrumentId: 'ort', answers: {}, patientId: 'p1', authored: NOW, responseId: 'qr-3' })).toBe(true);
  });
});

const obs = (code: string, value: number, date: string, status = 'final') => ({ resourceType: 'Observation' as const, status: status as 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, effectiveDateTime: date, valueQuantity: { value } });

describe('dials and PEG benefit', () => {
  test('never measured, current and dated dials; entered-in-error values are not read', () => {
    const readings = proReadings([obs('44261-6', 15, '2025-03-01T00:00:00Z'), obs('70274-6', 12, '2026-05-01T00:00:00Z'), obs('70274-6', 21, '2026-05-20T00:00:00Z', 'entered-in-error')], table);
    const dials = Object.fromEntries(buildDials(readings, table, NOW, 365).map((d) => [d.dimension, d]));
    expect(dials.mood).toMatchObject({ status: 'dated', value: 15, band: 'moderately severe' });
    expect(dials.mood!.text).toMatch(/^dated: PHQ-9 15/);
    expect(dials.anxiety).toMatchObject({ status: 'current', value: 12, band: 'moderate', level: 2 });
    expect(dials.sleep).toMatchObject({ status: 'never', value: null, level: null });
    expect(dials['social-support']!.text).toContain('no instrument configured');
  });

  test('the STarT Back distress subscore recorded as a component decides the risk group', () => {
    const withComponent = { ...obs('91351-7', 6, '2026-05-01T00:00:00Z'), component: [{ code: { coding: [{ system: 'http://loinc.org', code: '91350-9' }] }, valueQuantity: { value: 4 } }] };
    const dial = buildDials(proReadings([withComponent], table), table, NOW, 365).find((d) => d.dimension === 'psychosocial');
    expect(dial).toMatchObject({ band: 'high risk', level: 3 });
  });

  test('PEG benefit: less than 30% better over 3 months is "not shown"; 30% or more is shown', () => {
    const opts = { windowDays: 90, improvementPercent: 30, lookbackDays: 365 };
    const flat = proReadings([obs('91147-9', 7, '2026-01-20T00:00:00Z'), obs('91147-9', 6, '2026-05-20T00:00:00Z')], table);
    const better = proReadings([obs('91147-9', 7, '2026-01-20T00:00:00Z'), obs('91147-9', 4.9, '2026-05-20T00:00:00Z')], table);
    expect(pegBenefit(flat, NOW, opts)).toEqual({ notShown: true, text: 'PEG 7.0 on 2026-01-20, 6.0 on 2026-05-20: 14% better' });
    expect(pegBenefit(better, NOW, opts).notShown).toBe(false);
    // Only two months apart: nothing to compare yet.
    expect(pegBenefit(proReadings([obs('91147-9', 7, '2026-03-20T00:00:00Z'), obs('91147-9', 7, '2026-05-20T00:00:00Z')], table), NOW, opts).notShown).toBe(false);
  });
});
