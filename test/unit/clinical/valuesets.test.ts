import { describe, expect, test } from 'vitest';
import { loadKnowledge } from '../../helpers/knowledge.js';

const vs = loadKnowledge().valueSets;
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const SCT = 'http://snomed.info/sct';
const cc = (system: string, code: string) => ({ coding: [{ system, code }] });

describe('value sets', () => {
  test.each([
    ['cancer', ICD, 'C34.90', true],
    ['cancer', ICD, 'C3490', true],
    ['cancer', ICD, 'C96.9', true],
    ['cancer', ICD, 'D37.1', false],
    ['cancer', ICD, 'D49.2', false],
    ['cancer', ICD, 'G89.3', true],
    ['cancer', SCT, '254637007', true],
    ['cancer', ICD, '254637007', false],
    ['palliative-care', ICD, 'Z51.5', true],
    ['hospice', SCT, '385763009', true],
    ['sickle-cell', ICD, 'D57.1', true],
    ['sickle-cell', SCT, '127040003', true],
    ['opioid-use-disorder', ICD, 'F11.20', true],
    ['opioid-overdose', ICD, 'T40.2X1A', true],
    ['opioid-overdose', ICD, 'T40.2X5A', false],
    ['opioid-overdose', ICD, 'T40.4X6D', false],
    ['pdmp-review', SCT, '461621000124108', true],
  ] as const)('%s: %s|%s -> %s', (set, system, code, member) => {
    expect(vs.match(set, cc(system, code)) !== undefined).toBe(member);
  });

  test('drug classes match by product name too; buprenorphine/naloxone is not rescue naloxone', () => {
    expect(vs.match('benzodiazepine', { text: 'Alprazolam 0.5 MG Oral Tablet' })).toBe('alprazolam');
    expect(vs.match('gabapentinoid', { text: 'Pregabalin 75 MG Oral Capsule' })).toBe('pregabalin');
    expect(vs.match('rescue-naloxone', { text: 'Naloxone Hydrochloride 4 MG/ACTUAT Nasal Spray' })).toBeDefined();
    expect(vs.match('rescue-naloxone', { text: 'Buprenorphine 8 MG / Naloxone 2 MG Sublingual Film' })).toBeUndefined();
  });

  test('an unknown set is a programming error, named', () => {
    expect(() => vs.match('nope' as never, { text: 'x' })).toThrow("unknown value set 'nope'");
  });
});
