import type { PatientFacts } from './catalog.js';
import type { PatientContext } from '../patient-context.js';

/**
 * What part of the record could not be read (a prefetch key the client did not
 * send and the service could not fetch, a FHIR server that refused or failed,
 * or a key that held another patient's records). Rules use these so that
 * unavailable data is never reported as absent: "no CYP2D6 result on file" is
 * only said when the laboratory results were actually read.
 */
const FOR_PEOPLE: Readonly<Record<string, string>> = {
  patient: 'patient demographics (age)',
  medicationRequests: 'active medication orders',
  medicationStatements: 'medication statements',
  conditions: 'problem list',
  observations: 'laboratory results (CYP2D6 genotype)',
  procedures: 'procedures (PDMP reviews)',
  detectedIssues: 'documented justifications',
  exceptionsOnFile: 'exceptions on file (justified overrides): the full alerts are shown',
  goals: 'goals',
  gasScores: 'goal attainment scores',
  carePlans: 'care plans (N-of-1 trials)',
};

/**
 * Prefetch keys that carry no safety check (a missing prescriber name changes no advice; goals and
 * their scores inform, never alert: the goal cards use goals.known instead; without CarePlans every trial order
 * is summed, which only overcounts, and nof1.known says so).
 */
const NOT_CHECKS = new Set(['practitioner', 'goals', 'gasScores', 'carePlans']);

export function dataAvailabilityFacts(context: PatientContext): Partial<PatientFacts> {
  const unavailable = context.unavailable.filter((u) => !NOT_CHECKS.has(u.key));
  const keys = unavailable.map((u) => u.key);
  const forPeople = (list: typeof unavailable) => list.map((u) => FOR_PEOPLE[u.key] ?? u.key);
  const mixed = unavailable.filter((u) => u.otherPatient);
  const missing = forPeople(unavailable.filter((u) => !u.otherPatient));
  const notes = [
    ...(missing.length ? [`Could not be checked (data unavailable): ${missing.join(', ')}.`] : []),
    ...(mixed.length
      ? [`The EHR sent another patient's records with this patient's ${forPeople(mixed).join(', ')}: they were not used, and these lists may be incomplete. Tell the EHR team.`]
      : []),
  ];
  return {
    'data.checksMissing': keys.length > 0,
    'data.unavailableKeys': keys,
    'data.unavailable': forPeople(unavailable),
    'data.unavailableNote': notes.join(' '),
  };
}
