import type { FhirResource } from 'fhir/r4';
import { z } from 'zod';
import { invalidRequest, preconditionFailed } from './outcome.js';
import type { ResolvedPrefetch } from './prefetch.js';

/**
 * The FHIR elements the clinical code reads, with their types, checked once
 * at the door. Everything else in a resource is left alone (passthrough), and
 * every element may be absent (order-select drafts are often incomplete); a
 * present element of the wrong type is an error the client is told about, not
 * a crash deep in the clinical code.
 */
const str = z.string();
const num = z.number().finite();
const coding = z.object({ system: str.optional(), code: str.optional(), display: str.optional() }).passthrough();
const concept = z.object({ text: str.optional(), coding: z.array(coding).optional() }).passthrough();
const reference = z.object({ reference: str.optional(), display: str.optional() }).passthrough();
const quantity = z.object({ value: num.optional(), unit: str.optional(), code: str.optional(), system: str.optional() }).passthrough();
const period = z.object({ start: str.optional(), end: str.optional() }).passthrough();
const doseAndRate = z.object({ doseQuantity: quantity.optional(), doseRange: z.object({ low: quantity.optional(), high: quantity.optional() }).passthrough().optional() }).passthrough();
const dosage = z
  .object({
    sequence: num.optional(),
    text: str.optional(),
    asNeededBoolean: z.boolean().optional(),
    asNeededCodeableConcept: concept.optional(),
    timing: z
      .object({
        code: concept.optional(),
        repeat: z
          .object({
            frequency: num.optional(),
            frequencyMax: num.optional(),
            period: num.optional(),
            periodMax: num.optional(),
            periodUnit: str.optional(),
            timeOfDay: z.array(str).optional(),
            when: z.array(str).optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
    doseAndRate: z.union([z.array(doseAndRate), doseAndRate]).optional(),
  })
  .passthrough();
const dosages = z.union([z.array(dosage), dosage]);
const medication = z
  .object({
    code: concept.optional(),
    form: concept.optional(),
    ingredient: z.array(z.object({ itemCodeableConcept: concept.optional(), strength: z.object({ numerator: quantity.optional(), denominator: quantity.optional() }).passthrough().optional() }).passthrough()).optional(),
  })
  .passthrough();
const medicationUse = {
  id: str.optional(),
  status: str.optional(),
  medicationCodeableConcept: concept.optional(),
  medicationReference: reference.optional(),
  contained: z.array(z.object({ resourceType: str }).passthrough()).optional(),
};

const SHAPES: Record<string, z.ZodType> = {
  Patient: z.object({ id: str.optional(), birthDate: str.optional() }).passthrough(),
  Practitioner: z
    .object({ id: str.optional(), name: z.array(z.object({ text: str.optional(), family: str.optional(), given: z.array(str).optional(), prefix: z.array(str).optional() }).passthrough()).optional() })
    .passthrough(),
  MedicationRequest: z
    .object({
      ...medicationUse,
      intent: str.optional(),
      // Some clients (the CDS Hooks Sandbox) send one category object instead of an array: accepted, and read as a list of one.
      category: z.union([z.array(concept), concept]).optional(),
      authoredOn: str.optional(),
      dosageInstruction: dosages.optional(),
      priorPrescription: reference.optional(),
      reasonCode: z.array(concept).optional(),
      dispenseRequest: z.object({ expectedSupplyDuration: quantity.optional() }).passthrough().optional(),
    })
    .passthrough(),
  MedicationStatement: z.object({ ...medicationUse, dosage: dosages.optional(), basedOn: z.array(reference).optional(), effectiveDateTime: str.optional(), effectivePeriod: period.optional() }).passthrough(),
  Medication: medication,
  Observation: z
    .object({
      id: str.optional(),
      status: str.optional(),
      code: concept.optional(),
      valueString: str.optional(),
      valueCodeableConcept: concept.optional(),
      effectiveDateTime: str.optional(),
      effectivePeriod: period.optional(),
      issued: str.optional(),
      focus: z.array(reference).optional(),
      component: z.array(z.object({ code: concept.optional(), valueString: str.optional(), valueCodeableConcept: concept.optional() }).passthrough()).optional(),
    })
    .passthrough(),
  Condition: z.object({ clinicalStatus: concept.optional(), verificationStatus: concept.optional(), code: concept.optional() }).passthrough(),
  Procedure: z.object({ status: str.optional(), code: concept.optional(), performedDateTime: str.optional(), performedPeriod: period.optional() }).passthrough(),
  DetectedIssue: z
    .object({
      id: str.optional(),
      status: str.optional(),
      code: concept.optional(),
      detail: str.optional(),
      identifiedDateTime: str.optional(),
      author: reference.optional(),
      extension: z.array(z.object({ url: str, valueDecimal: num.optional(), valueString: str.optional(), valueDate: str.optional() }).passthrough()).optional(),
      mitigation: z.array(z.object({ action: concept.optional(), date: str.optional(), author: reference.optional() }).passthrough()).optional(),
      evidence: z.array(z.object({ detail: z.array(reference).optional() }).passthrough()).optional(),
    })
    .passthrough(),
  // Goals (HL7 PCO GAS Goals and plain ones): the scaling extension's level and text, the target measure, priority, category.
  Goal: z
    .object({
      id: str.optional(),
      lifecycleStatus: str.optional(),
      description: concept.optional(),
      category: z.array(concept).optional(),
      priority: concept.optional(),
      startDate: str.optional(),
      target: z.array(z.object({ measure: concept.optional(), dueDate: str.optional() }).passthrough()).optional(),
      addresses: z.array(reference).optional(),
      extension: z
        .array(z.object({ url: str, extension: z.array(z.object({ url: str, valueCoding: coding.optional(), valueString: str.optional() }).passthrough()).optional() }).passthrough())
        .optional(),
    })
    .passthrough(),
};

/** Problems with the elements this service reads, as "path: message"; empty when the resource is usable. */
function fhirShapeProblems(resource: FhirResource): string[] {
  // Own keys only: a resourceType of "__proto__" or "constructor" is no shape.
  if (!Object.hasOwn(SHAPES, resource.resourceType)) return [];
  const shape = SHAPES[resource.resourceType]!;
  const result = shape.safeParse(resource);
  if (result.success) return [];
  return result.error.issues.slice(0, 5).map((i) => `${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')}: ${i.message}`);
}

/**
 * Wrongly typed elements in what the client sent are a 400 naming where they
 * are; in what this service fetched itself, the key is treated as unavailable
 * (a 412 if it was required), since the client cannot fix it.
 */
export function checkResourceShapes(drafts: readonly FhirResource[], prefetch: ResolvedPrefetch, required: readonly string[]): ResolvedPrefetch {
  const problems: { path: string; message: string }[] = [];
  drafts.forEach((r, i) => {
    for (const p of fhirShapeProblems(r)) problems.push({ path: `context.draftOrders.entry[${i}].resource`, message: p });
  });
  const resources = new Map(prefetch.resources);
  const unavailable = [...prefetch.unavailable];
  for (const [key, list] of prefetch.resources) {
    const bad = list.flatMap((r) => fhirShapeProblems(r).map((p) => `${r.resourceType}${r.id ? `/${r.id}` : ''} ${p}`));
    if (bad.length === 0) continue;
    if (!prefetch.fetched.includes(key)) {
      for (const b of bad.slice(0, 5)) problems.push({ path: `prefetch.${key}`, message: b });
      continue;
    }
    if (required.includes(key)) throw preconditionFailed(`Required data '${key}' could not be used: the FHIR server returned malformed resources`);
    resources.delete(key);
    unavailable.push({ key, reason: 'the FHIR server returned malformed resources' });
  }
  if (problems.length > 0) throw invalidRequest(problems);
  return { resources, unavailable, fetched: prefetch.fetched, otherPatientKeys: prefetch.otherPatientKeys };
}
