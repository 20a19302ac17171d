import type { Condition, FhirResource, MedicationRequest, Observation } from 'fhir/r4';
import { expandPatient, hookRequestFor, type CompactMedication } from '../pipeline/scenarios/compact-patient.js';

/**
 * Hook requests for the benchmark: a small order-select (codeine for a CYP2D6
 * poor metabolizer), a large order-sign record (50 active orders, 30
 * observations, 20 conditions), patient-view, and a call whose prefetch must be
 * fetched from a FHIR server.
 */
export const NOW = new Date('2026-06-01T12:00:00Z');

const CODEINE: CompactMedication = { id: 'draft-codeine', rxnorm: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet', dose: 1, frequency: 1, period: 6, periodUnit: 'h', prn: true };
const OXY: CompactMedication = { id: 'draft-oxy', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 1, frequency: 4 };
const OTHER_MEDS = ['Lisinopril 10 MG Oral Tablet', 'Metformin Hydrochloride 500 MG Oral Tablet', 'Atorvastatin 20 MG Oral Tablet', 'Omeprazole 20 MG Delayed Release Oral Capsule', 'Gabapentin 300 MG Oral Capsule', 'Sertraline 50 MG Oral Tablet', 'Amlodipine 5 MG Oral Tablet', 'Levothyroxine Sodium 0.1 MG Oral Tablet'];
const OPIOIDS: CompactMedication[] = [
  { rxnorm: '1049621', display: 'Oxycodone Hydrochloride 5 MG Oral Tablet', dose: 1, frequency: 2 },
  { rxnorm: '856903', display: 'Acetaminophen 500 MG / Hydrocodone Bitartrate 5 MG Oral Tablet', dose: 1, frequency: 2 },
  { rxnorm: '245134', display: '72 HR Fentanyl 0.025 MG/HR Transdermal System', dose: 1, unit: 'patch', frequency: 1, period: 3, periodUnit: 'd' },
];

/** A record with `orders` active medication orders (a few opioids among them), `observations` labs and `conditions` problems. */
export function largeRecord(orders: number, observations = 30, conditions = 20, id = 'large') {
  const medications: CompactMedication[] = Array.from({ length: orders }, (_, i) =>
    i < OPIOIDS.length && orders >= 10 ? { ...OPIOIDS[i]!, id: `active-${i}`, authoredDaysAgo: 400 } : { id: `active-${i}`, display: OTHER_MEDS[i % OTHER_MEDS.length]!, dose: 1, frequency: 1, authoredDaysAgo: 200 },
  );
  const extra: FhirResource[] = [
    ...Array.from({ length: observations }, (_, i): Observation => ({
      resourceType: 'Observation',
      id: `lab-${i}`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
      subject: { reference: `Patient/${id}` },
      effectiveDateTime: new Date(NOW.getTime() - i * 86_400_000).toISOString(),
      valueQuantity: { value: 90 + i, unit: 'mg/dL' },
    })),
    ...Array.from({ length: conditions }, (_, i): Condition => ({
      resourceType: 'Condition',
      id: `problem-${i}`,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: `M54.${i % 10}`, display: 'Back pain' }] },
      subject: { reference: `Patient/${id}` },
    })),
  ];
  return { id, cyp2d6: '*1/*4', medications, drafts: [OXY], resources: extra as unknown as Record<string, unknown>[] };
}

/** Each scenario's body for one patient id: the same id every time, or a new one per request (a patient the service has never seen). */
export const SCENARIOS = {
  'order-select-small': { serviceId: 'opioid-order-select', body: (id = 'small') => hookRequestFor('order-select', { id, cyp2d6: '*4/*4', drafts: [CODEINE] }, NOW) },
  'order-sign-large': { serviceId: 'opioid-order-sign', body: (id = 'large') => hookRequestFor('order-sign', largeRecord(50, 30, 20, id), NOW) },
  'patient-view': { serviceId: 'opioid-patient-view', body: (id = 'large') => hookRequestFor('patient-view', largeRecord(10, 30, 20, id), NOW) },
} as const;

export type ScenarioName = keyof typeof SCENARIOS;

/** The resources of a scenario, for seeding the FHIR server of the prefetch-fallback scenario. */
export function fallbackPatient() {
  const e = expandPatient({ id: 'fallback', cyp2d6: '*4/*4', medications: [{ ...OXY, id: 'active-oxy', authoredDaysAgo: 100 }], drafts: [CODEINE] }, NOW);
  const resources = Object.values(e.prefetch).flatMap((v) => (v.resourceType === 'Bundle' ? (v.entry ?? []).flatMap((x) => (x.resource ? [x.resource] : [])) : [v]));
  const body = hookRequestFor('order-select', { id: 'fallback', cyp2d6: '*4/*4', drafts: [CODEINE] }, NOW);
  return { resources, body: { ...body, prefetch: {} as Record<string, unknown> }, drafts: e.drafts as MedicationRequest[] };
}
