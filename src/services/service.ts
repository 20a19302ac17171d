import type { ServiceDefinition } from '../cds/types.js';

/**
 * A CDS service: its discovery definition, which prefetch keys it cannot work
 * without, and which rule-set it runs. Discovery is generated from the registry
 * of these modules (src/services/index.ts), never kept as a separate list.
 */
export interface CdsService {
  readonly definition: ServiceDefinition;
  /** Prefetch keys whose absence is a 412 (all others degrade the cards). */
  readonly requiredPrefetch: readonly string[];
}

/**
 * Prefetch templates shared by the opioid services. Only instance reads and
 * type searches with token/reference parameters (no _include), as the spec asks.
 */
export const PATIENT_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  medicationRequests: 'MedicationRequest?patient={{context.patientId}}&status=active',
  medicationStatements: 'MedicationStatement?patient={{context.patientId}}&status=active',
  conditions: 'Condition?patient={{context.patientId}}',
  observations: 'Observation?patient={{context.patientId}}&category=laboratory,social-history,survey',
  procedures: 'Procedure?patient={{context.patientId}}',
  detectedIssues: 'DetectedIssue?patient={{context.patientId}}',
  // Personal goals (HL7 PCO GAS Goals and plain ones) and their GAS scores, found by code, not category:
  // the PCO IG's score Observations carry functional-status, survey or no category at all.
  goals: 'Goal?patient={{context.patientId}}',
  gasScores: 'Observation?patient={{context.patientId}}&code=http://loinc.org|107332-9,http://loinc.org|112296-9,http://loinc.org|107333-7,http://loinc.org|107334-5,http://loinc.org|107331-1',
  // Running N-of-1 trials (issue 22): the trial card and how the trial's orders count toward the MME total.
  carePlans: 'CarePlan?patient={{context.patientId}}&status=active',
  // The prescriber's own record, for their name in exception texts ("documented by Dr ..."); not a safety check.
  practitioner: 'Practitioner/{{userPractitionerId}}',
} as const satisfies Record<string, string>;
