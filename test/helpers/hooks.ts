import { buildPatientContext } from '../../src/clinical/patient-context.js';
import { expandPatient, hookRequestFor, prefetchGroups, type CompactPatient } from '../../src/pipeline/scenarios/compact-patient.js';

export const NOW = new Date('2026-06-01T12:00:00Z');

export const SERVICE_IDS = {
  'order-select': 'opioid-order-select',
  'order-sign': 'opioid-order-sign',
  'patient-view': 'opioid-patient-view',
} as const;

export type Hook = keyof typeof SERVICE_IDS;

export const CODEINE_DRAFT = {
  id: 'draft-codeine',
  rxnorm: '993781',
  display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet',
  dose: 1,
  unit: 'tablet',
  frequency: 1,
  period: 6,
  periodUnit: 'h' as const,
  prn: true,
};

export const OXYCODONE_DRAFT = {
  id: 'draft-oxycodone',
  rxnorm: '1049621',
  display: 'Oxycodone Hydrochloride 5 MG Oral Tablet',
  dose: 1,
  unit: 'tablet',
  frequency: 1,
  period: 6,
  periodUnit: 'h' as const,
};

/** A full hook request body for a compact patient description. */
export function hookBody(hook: Hook, patient: CompactPatient = {}, now = NOW) {
  return hookRequestFor(hook, patient, now);
}

/** The PatientContext the service would build for a compact patient (all prefetch given). */
export function contextFor(patient: CompactPatient, now = NOW) {
  const e = expandPatient(patient, now);
  return buildPatientContext({ now, patientId: e.patientId, userId: 'Practitioner/1', draftOrders: e.drafts, selections: undefined, prefetchResources: prefetchGroups(e), unavailable: [] });
}
