import type { FhirResource } from 'fhir/r4';
import { namesPatient } from '../knowledge/references.js';

/**
 * Prefetch and fetched data must be about the patient of the hook call. A
 * client or FHIR server bug that mixes in another patient's records must never
 * reach a card (the CDS Hooks Sandbox once sent four other patients' data in
 * one prefetch). A resource counts as the patient's when its patient reference
 * (`subject`, `patient`, or the Patient resource's own id) names
 * `Patient/{patientId}`, relative or absolute; resources that by nature carry
 * no patient reference (Medication, Practitioner, Organization ...) are kept.
 */

/** Elements that point at the patient a resource is about, in the order FHIR R4 resources use them. */
const PATIENT_ELEMENTS = ['subject', 'patient', 'beneficiary'] as const;

/** True when `resource` names another patient (or something that is not a Patient) as its subject. */
export function isAboutAnotherPatient(resource: FhirResource, patientId: string): boolean {
  if (resource.resourceType === 'Patient') return resource.id !== undefined && resource.id !== patientId;
  const record = resource as unknown as Record<string, unknown>;
  for (const element of PATIENT_ELEMENTS) {
    const value = record[element];
    if (value === undefined || value === null) continue;
    const reference = typeof value === 'object' ? (value as { reference?: unknown }).reference : undefined;
    // A reference by identifier or display only cannot be checked here; the
    // query that produced it (`?patient=`) already scoped it.
    if (typeof reference !== 'string') return false;
    return !namesPatient(reference, patientId);
  }
  return false;
}
