import type { Bundle, Condition, FhirResource, MedicationRequest, Observation, Patient, Procedure } from 'fhir/r4';
import { z } from 'zod';

/**
 * A compact patient description that expands to FHIR resources, so scenario
 * files stay short enough for informaticists to write by hand:
 *   { "age": 45, "cyp2d6": "*4/*4", "draft": { "rxnorm": "...", "dose": 1, ... } }
 */
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const medication = z
  .object({
    id: z.string().optional(),
    rxnorm: z.string().optional(),
    display: z.string().min(1),
    dose: z.number().positive().optional(),
    doseHigh: z.number().positive().optional(),
    unit: z.string().default('tablet'),
    frequency: z.number().positive().optional(),
    frequencyMax: z.number().positive().optional(),
    period: z.number().positive().default(1),
    periodUnit: z.enum(['h', 'd', 'wk']).default('d'),
    prn: z.boolean().default(false),
    status: z.enum(['active', 'stopped', 'completed', 'on-hold', 'draft', 'cancelled']).default('active'),
    authoredDaysAgo: z.number().min(0).default(0),
    supplyDays: z.number().positive().optional(),
    priorPrescription: z.string().optional(),
  })
  .strict();

const coded = z.object({ system: z.string(), code: z.string(), display: z.string().optional(), daysAgo: z.number().min(0).optional() }).strict();

export const compactPatient = z
  .object({
    id: z.string().default('scenario-patient'),
    age: z.number().min(0).max(130).default(45),
    gender: z.enum(['female', 'male', 'other', 'unknown']).default('unknown'),
    name: z.string().default('Test Patient'),
    cyp2d6: z.string().optional(),
    cyp2d6Phenotype: z.string().optional(),
    medications: z.array(medication).default([]),
    drafts: z.array(medication).default([]),
    conditions: z.array(coded).default([]),
    procedures: z.array(coded).default([]),
    resources: z.array(z.record(z.string(), z.unknown())).default([]),
  })
  .strict();

export type CompactPatient = z.input<typeof compactPatient>;
export type CompactMedication = z.input<typeof medication>;

export interface ExpandedPatient {
  readonly patientId: string;
  readonly drafts: MedicationRequest[];
  readonly prefetch: Record<string, Patient | Bundle>;
}

const DAY = 86_400_000;

export function expandPatient(input: CompactPatient, now: Date): ExpandedPatient {
  const p = compactPatient.parse(input);
  const ref = { reference: `Patient/${p.id}` };
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY).toISOString();
  const birth = new Date(now.getTime() - (p.age * 365.25 + 30) * DAY).toISOString().slice(0, 10);
  const patient: Patient = { resourceType: 'Patient', id: p.id, name: [{ text: p.name }], gender: p.gender, birthDate: birth };

  const order = (m: z.infer<typeof medication>, i: number, prefix: string): MedicationRequest => {
    const repeat: NonNullable<NonNullable<MedicationRequest['dosageInstruction']>[number]['timing']>['repeat'] = {};
    if (m.frequency) Object.assign(repeat, { frequency: m.frequency, period: m.period, periodUnit: m.periodUnit });
    if (m.frequencyMax) Object.assign(repeat, { frequencyMax: m.frequencyMax, period: m.period, periodUnit: m.periodUnit });
    const dose =
      m.dose === undefined
        ? undefined
        : m.doseHigh
          ? { doseRange: { low: { value: m.dose, unit: m.unit }, high: { value: m.doseHigh, unit: m.unit } } }
          : { doseQuantity: { value: m.dose, unit: m.unit } };
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      id: m.id ?? `${prefix}-${i + 1}`,
      status: m.status,
      intent: 'order',
      subject: ref,
      authoredOn: at(m.authoredDaysAgo),
      medicationCodeableConcept: { ...(m.rxnorm ? { coding: [{ system: RXNORM, code: m.rxnorm, display: m.display }] } : {}), text: m.display },
      dosageInstruction: [
        {
          ...(Object.keys(repeat).length ? { timing: { repeat } } : {}),
          ...(m.prn ? { asNeededBoolean: true } : {}),
          ...(dose ? { doseAndRate: [dose] } : {}),
        },
      ],
    };
    if (m.supplyDays) request.dispenseRequest = { expectedSupplyDuration: { value: m.supplyDays, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' } };
    if (m.priorPrescription) request.priorPrescription = { reference: `MedicationRequest/${m.priorPrescription}` };
    return request;
  };

  const observations: Observation[] = [];
  if (p.cyp2d6) {
    observations.push({
      resourceType: 'Observation',
      id: `${p.id}-cyp2d6`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '84413-4', display: 'Genotype display name' }] },
      subject: ref,
      effectiveDateTime: at(400),
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '48018-6', display: 'Gene studied [ID]' }] },
          valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org', code: 'HGNC:2625', display: 'CYP2D6' }] },
        },
      ],
      valueCodeableConcept: { coding: [{ system: 'http://www.pharmvar.org', code: `CYP2D6_${p.cyp2d6.replace(/\s+/g, '')}` }], text: `CYP2D6 ${p.cyp2d6}` },
    });
  }
  if (p.cyp2d6Phenotype) {
    observations.push({
      resourceType: 'Observation',
      id: `${p.id}-cyp2d6-phenotype`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '79714-9', display: 'CYP2D6 gene product metabolic activity interpretation' }], text: 'CYP2D6 phenotype' },
      subject: ref,
      effectiveDateTime: at(400),
      valueCodeableConcept: { text: p.cyp2d6Phenotype },
    });
  }
  const conditions: Condition[] = p.conditions.map((c, i) => ({
    resourceType: 'Condition',
    id: `${p.id}-condition-${i + 1}`,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) }] },
    subject: ref,
    ...(c.daysAgo !== undefined ? { onsetDateTime: at(c.daysAgo) } : {}),
  }));
  const procedures: Procedure[] = p.procedures.map((c, i) => ({
    resourceType: 'Procedure',
    id: `${p.id}-procedure-${i + 1}`,
    status: 'completed',
    code: { coding: [{ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) }] },
    subject: ref,
    performedDateTime: at(c.daysAgo ?? 0),
  }));
  const extra = p.resources as unknown as FhirResource[];
  const bundle = (resources: FhirResource[]): Bundle => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
  const ofType = (type: string) => extra.filter((r) => r.resourceType === type);

  return {
    patientId: p.id,
    drafts: p.drafts.map((m, i) => ({ ...order(m, i, 'draft'), status: 'draft' })),
    prefetch: {
      patient,
      medicationRequests: bundle([...p.medications.map((m, i) => order(m, i, 'active')), ...ofType('MedicationRequest')]),
      medicationStatements: bundle(ofType('MedicationStatement')),
      conditions: bundle([...conditions, ...ofType('Condition')]),
      observations: bundle([...observations, ...ofType('Observation')]),
      procedures: bundle([...procedures, ...ofType('Procedure')]),
      detectedIssues: bundle(ofType('DetectedIssue')),
      goals: bundle(ofType('Goal')),
      gasScores: bundle(ofType('Observation').filter(isGasScore)),
      carePlans: bundle(ofType('CarePlan')),
    },
  };
}

/** An Observation coded as a GAS score (prefetch key gasScores, found by code as the service's template asks). */
const GAS_SCORE_CODES = new Set(['107332-9', '112296-9', '107333-7', '107334-5', '107331-1']);
function isGasScore(r: FhirResource): boolean {
  return r.resourceType === 'Observation' && (r.code?.coding ?? []).some((c) => c.system === 'http://loinc.org' && GAS_SCORE_CODES.has(c.code ?? ''));
}

/** Every resource of an expanded patient's prefetch, grouped by key (as the service collects them). */
export function prefetchGroups(p: ExpandedPatient): FhirResource[][] {
  return Object.values(p.prefetch).map((v) => (v.resourceType === 'Bundle' ? (v.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])) : [v]));
}

/** A complete hook request for a compact patient. */
export function hookRequestFor(hook: 'order-select' | 'order-sign' | 'patient-view', input: CompactPatient, now: Date, hookInstance = crypto.randomUUID()) {
  const p = expandPatient(input, now);
  const context: Record<string, unknown> = { userId: 'Practitioner/prac-1', patientId: p.patientId };
  if (hook !== 'patient-view') context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: p.drafts.map((resource) => ({ resource })) };
  if (hook === 'order-select') context.selections = p.drafts.map((d) => `MedicationRequest/${d.id}`);
  return { hook, hookInstance, context, prefetch: p.prefetch };
}
