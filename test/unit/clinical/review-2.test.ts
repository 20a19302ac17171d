import { describe, expect, test } from 'vitest';
import { formatMme } from '../../../src/clinical/facts/mme-text.js';
import { FORMATTERS } from '../../../src/rules/placeholders.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** Clinical review 13, second batch: checks below the scenarios of rules/tests/review-2.json. */
describe('MME shown to people: one rounding', () => {
  test.each([0, 0.5, 2.345, 9.994, 9.996, 10, 28.8, 44.5, 49.6, 88.8, 89.5, 120.25, 1234.5])('%s rounds as the card formatter', (n) => {
    expect(formatMme(n)).toBe(FORMATTERS.mme!(n));
  });
});

describe('value sets: cancer by words, yes/no answers', () => {
  const vs = loadKnowledge().valueSets;
  test.each([
    ['Metastatic pancreatic cancer', true],
    ['Adenocarcinoma of lung', true],
    ['Diffuse large B-cell lymphoma', true],
    ['Acute myeloid leukaemia', true],
    ['History of breast cancer', false],
    ['Family history of colon cancer', false],
    ['Basal cell carcinoma of skin', false],
    ['Cutaneous squamous cell carcinoma', false],
    ['Acute lymphoblastic leukemia in remission', false],
    ['Malignant hypertension', false],
    ['Neuroleptic malignant syndrome', false],
    ['Benign neoplasm of colon', false],
    ['Cancer screening', false],
  ] as const)('text "%s" -> cancer %s', (text, member) => {
    expect(vs.match('cancer', { text }) !== undefined).toBe(member);
  });
  test('words are not used when only codes are asked for', () => {
    expect(vs.match('cancer', { text: 'Metastatic pancreatic cancer' }, { codesOnly: true })).toBeUndefined();
    expect(vs.match('cancer', { coding: [{ system: 'http://snomed.info/sct', code: '94260004' }] }, { codesOnly: true })).toBeDefined();
  });
  test('LOINC answer codes mean what they say', () => {
    const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
    expect(vs.match('answer-yes', loinc('LA33-6'))).toBeDefined();
    expect(vs.match('answer-no', loinc('LA32-8'))).toBeDefined();
    expect(vs.match('answer-yes', loinc('LA32-8'))).toBeUndefined();
    expect(vs.match('answer-no', loinc('LA33-6'))).toBeUndefined();
  });
});
