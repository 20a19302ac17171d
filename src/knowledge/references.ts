/**
 * Patient references as FHIR writes them: `Patient/x`, `Patient/x/_history/2`
 * or an absolute `https://ehr/fhir/Patient/x` (a query or fragment ignored).
 */
export function patientIdOf(reference: string): string | undefined {
  const parts = reference.split(/[?#]/, 1)[0]!.replace(/\/_history\/[^/]+$/, '').split('/');
  return parts.length >= 2 && parts[parts.length - 2] === 'Patient' && parts[parts.length - 1] ? parts[parts.length - 1] : undefined;
}

/** True when `reference` names the patient with id `patientId`. */
export function namesPatient(reference: string, patientId: string): boolean {
  return patientIdOf(reference) === patientId;
}
