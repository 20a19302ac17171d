import type { Observation } from 'fhir/r4';

/**
 * Patient-reported histories of the demo patients of the whole-person story
 * (issue 20): LOINC-coded survey Observations dated relative to `now`, as the
 * SMART app writes them (totals; PHQ-9 item 9 on its own).
 */
const DAY = 86_400_000;
const SURVEY = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey', display: 'Survey' }] }];
const CODES: Readonly<Record<string, string>> = {
  peg: '91147-9',
  nrs: '72514-3',
  phq9: '44261-6',
  gad7: '70274-6',
  item9: '44260-8',
};

/** [instrument, days ago, value]; item9 values are LOINC answer codes. */
type Entry = readonly [keyof typeof CODES & string, number, number | string];

const HISTORIES: Readonly<Record<string, readonly Entry[]>> = {
  // Improving on physical therapy and a stable low dose: PEG 7.3 -> 3.0, PHQ-9 8 -> 4.
  'pro-improving': [
    ['peg', 270, 7.3], ['phq9', 270, 8], ['item9', 270, 'LA6568-5'], ['gad7', 270, 6],
    ['peg', 180, 6.0], ['phq9', 180, 6], ['item9', 180, 'LA6568-5'],
    ['peg', 90, 4.3], ['gad7', 90, 4],
    ['peg', 14, 3.0], ['phq9', 14, 4], ['item9', 14, 'LA6568-5'], ['gad7', 14, 3], ['nrs', 14, 3],
  ],
  // Rising depression on escalating opioids, pain and function not better: PHQ-9 6 -> 17, PEG 6.3 -> 7.0.
  'pro-depression': [
    ['peg', 300, 6.3], ['phq9', 300, 6], ['item9', 300, 'LA6568-5'], ['gad7', 300, 7],
    ['peg', 180, 6.7], ['phq9', 180, 9], ['item9', 180, 'LA6568-5'],
    ['peg', 100, 6.7], ['phq9', 100, 13], ['item9', 100, 'LA6568-5'], ['gad7', 100, 11],
    ['peg', 10, 7.0], ['phq9', 10, 17], ['item9', 10, 'LA6568-5'], ['gad7', 10, 12], ['nrs', 10, 7],
  ],
};

export function proObservations(patientId: string, now: Date): Observation[] {
  return (HISTORIES[patientId] ?? []).map(([kind, daysAgo, value], i) => ({
    resourceType: 'Observation',
    id: `${patientId}-pro-${i + 1}`,
    status: 'final',
    category: SURVEY,
    code: { coding: [{ system: 'http://loinc.org', code: CODES[kind]! }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date(now.getTime() - daysAgo * DAY).toISOString(),
    ...(typeof value === 'string'
      ? { valueCodeableConcept: { coding: [{ system: 'http://loinc.org', code: value, display: 'Not at all' }] } }
      : { valueQuantity: { value, unit: 'score', system: 'http://unitsofmeasure.org', code: '{score}' } }),
  }));
}
