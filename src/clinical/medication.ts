import type { CodeableConcept, Medication, MedicationRequest, MedicationStatement } from 'fhir/r4';

/** What an order or statement is for: its code, or the code of the Medication it references (contained or prefetched). */
export type MedicationResolver = (reference: string, container?: MedicationRequest | MedicationStatement) => Medication | undefined;

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export function medicationOf(med: MedicationRequest | MedicationStatement, resolve?: MedicationResolver): { concept?: CodeableConcept; medication?: Medication } {
  if (med.medicationCodeableConcept) return { concept: med.medicationCodeableConcept };
  const ref = med.medicationReference?.reference;
  const medication = ref && resolve ? resolve(ref, med) : undefined;
  if (medication) return { concept: medication.code ?? (med.medicationReference?.display ? { text: med.medicationReference.display } : undefined), medication };
  return med.medicationReference?.display ? { concept: { text: med.medicationReference.display } } : {};
}

/** Every human-readable name of a concept, joined (text and coding displays). */
export function conceptText(concept: CodeableConcept | undefined): string {
  if (!concept) return '';
  return [concept.text, ...(concept.coding ?? []).map((c) => c.display)].filter(Boolean).join(' ');
}

export function rxnormCodes(concept: CodeableConcept | undefined): string[] {
  return (concept?.coding ?? []).filter((c) => c.system === RXNORM && typeof c.code === 'string').map((c) => c.code!);
}

/** The name people should see for an order. */
export function drugName(med: MedicationRequest | MedicationStatement, resolve?: MedicationResolver): string {
  const { concept } = medicationOf(med, resolve);
  return concept?.text ?? concept?.coding?.find((c) => c.display)?.display ?? med.medicationReference?.display ?? 'unnamed medication';
}

/** Active outpatient use: MedicationRequest status active (not a plan or proposal), MedicationStatement active. */
export function isActiveUse(med: MedicationRequest | MedicationStatement): boolean {
  if (med.status !== 'active') return false;
  if (med.resourceType === 'MedicationRequest') {
    if (med.intent === 'plan' || med.intent === 'proposal') return false;
    const inpatient = (med.category ?? []).some((c) => (c.coding ?? []).some((x) => x.code === 'inpatient'));
    if (inpatient) return false;
  }
  return true;
}
