import type { ExceptionOnFile } from './exceptions.js';
import type {
  CarePlan,
  CodeableConcept,
  Condition,
  DetectedIssue,
  Dosage,
  FhirResource,
  Goal,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Observation,
  HumanName,
  Patient,
  Practitioner,
  Procedure,
} from 'fhir/r4';

/**
 * One normalized, typed snapshot of what the hook call tells us about the
 * patient, built once per request from the draft orders and the prefetch
 * resources (whatever key they arrived under). Clinical code reads this, never
 * the raw request.
 */
export interface PatientContext {
  readonly now: Date;
  readonly patientId: string;
  readonly userId: string;
  /** The signed-in prescriber's name, from their Practitioner record in prefetch; undefined when not given. */
  readonly userName: string | undefined;
  /** Names of the practitioners in prefetch, by reference (`Practitioner/x`), for the authors of justifications. */
  readonly practitionerNames: ReadonlyMap<string, string>;
  readonly patient: Patient | undefined;
  /** Draft MedicationRequests of this call (order-select: the selected ones first). */
  readonly draftOrders: readonly MedicationRequest[];
  /** Orders the prescriber is acting on now: the selections, or all drafts at order-sign. */
  readonly ordersUnderConsideration: readonly MedicationRequest[];
  /** MedicationRequests on record (any status: clinical code filters by status). */
  readonly medicationRequests: readonly MedicationRequest[];
  readonly medicationStatements: readonly MedicationStatement[];
  readonly conditions: readonly Condition[];
  readonly observations: readonly Observation[];
  readonly procedures: readonly Procedure[];
  readonly detectedIssues: readonly DetectedIssue[];
  /** Goals on record (GAS goals of the HL7 PCO IG and plain ones), any status: clinical code filters. */
  readonly goals: readonly Goal[];
  /** CarePlans on record (an N-of-1 trial is one, issue 22), any status: clinical code filters. */
  readonly carePlans: readonly CarePlan[];
  /** Resolves `Medication/id` (prefetch) and `#id` (contained in the order) references. */
  readonly resolveMedication: (reference: string, container?: MedicationRequest | MedicationStatement) => Medication | undefined;
  /** Prefetch keys that could not be had, with the reason; cards say what was not checked. */
  readonly unavailable: readonly UnavailableData[];
  /** Exceptions on file in this service's store, valid now (DetectedIssues are merged by the clinical layer). */
  readonly storedExceptions: readonly ExceptionOnFile[];
}

/** A part of the record that could not be read whole: missing, failed, or mixed with another patient's records (which were dropped). */
export interface UnavailableData {
  readonly key: string;
  readonly reason: string;
  /** Some of this patient's records were read, but the list may be incomplete. */
  readonly otherPatient?: true;
}

export interface PatientContextInput {
  readonly now: Date;
  readonly patientId: string;
  readonly userId: string;
  readonly draftOrders: readonly FhirResource[];
  readonly selections: readonly string[] | undefined;
  readonly prefetchResources: Iterable<readonly FhirResource[]>;
  readonly unavailable: readonly UnavailableData[];
  readonly storedExceptions?: readonly ExceptionOnFile[];
}

export function buildPatientContext(input: PatientContextInput): PatientContext {
  const byType = collectByType(input.prefetchResources);
  const drafts = input.draftOrders.filter(isMedicationRequest).map(normalizeMedicationRequest);
  const selected = selectOrders(drafts, input.selections);
  const patient = (byType.get('Patient') ?? []).find((p) => p.id === input.patientId || !p.id) as Patient | undefined;
  const medications = new Map<string, Medication>();
  for (const m of (byType.get('Medication') ?? []) as Medication[]) if (m.id) medications.set(`Medication/${m.id}`, m);
  const practitionerNames = new Map<string, string>();
  for (const p of (byType.get('Practitioner') ?? []) as Practitioner[]) {
    const name = personName(p.name);
    if (p.id && name) practitionerNames.set(`Practitioner/${p.id}`, name);
  }

  return {
    now: input.now,
    patientId: input.patientId,
    userId: input.userId,
    userName: practitionerNames.get(input.userId.replace(/^.*\/(Practitioner\/[^/]+)$/, '$1')),
    practitionerNames,
    patient,
    draftOrders: drafts,
    ordersUnderConsideration: selected,
    medicationRequests: ((byType.get('MedicationRequest') ?? []) as MedicationRequest[]).map(normalizeMedicationRequest),
    medicationStatements: ((byType.get('MedicationStatement') ?? []) as MedicationStatement[]).map(normalizeMedicationStatement),
    conditions: (byType.get('Condition') ?? []) as Condition[],
    observations: (byType.get('Observation') ?? []) as Observation[],
    procedures: (byType.get('Procedure') ?? []) as Procedure[],
    detectedIssues: (byType.get('DetectedIssue') ?? []) as DetectedIssue[],
    goals: (byType.get('Goal') ?? []) as Goal[],
    carePlans: (byType.get('CarePlan') ?? []) as CarePlan[],
    resolveMedication: (reference, container) => {
      if (reference.startsWith('#')) {
        const id = reference.slice(1);
        const found = container?.contained?.find((r) => r.resourceType === 'Medication' && r.id === id);
        return found as Medication | undefined;
      }
      const key = reference.replace(/^.*\/(Medication\/[^/]+)$/, '$1');
      return medications.get(key);
    },
    unavailable: input.unavailable,
    storedExceptions: input.storedExceptions ?? [],
  };
}

/** "Dr Dana Prescriber": the text of a person's first name, or prefix, given and family names joined. */
export function personName(names: readonly HumanName[] | undefined): string | undefined {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return undefined;
  const text = n.text?.trim() || [n.prefix?.join(' '), n.given?.join(' '), n.family].filter((part) => typeof part === 'string' && part.trim()).join(' ');
  return text || undefined;
}

/** Same resource seen under several prefetch keys counts once (type/id). */
function collectByType(groups: Iterable<readonly FhirResource[]>): Map<string, FhirResource[]> {
  const seen = new Set<string>();
  const byType = new Map<string, FhirResource[]>();
  for (const group of groups) {
    for (const resource of group) {
      if (!resource || typeof resource !== 'object' || typeof resource.resourceType !== 'string') continue;
      if (resource.id) {
        const key = `${resource.resourceType}/${resource.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      const list = byType.get(resource.resourceType);
      if (list) list.push(resource);
      else byType.set(resource.resourceType, [resource]);
    }
  }
  return byType;
}

function isMedicationRequest(r: FhirResource): r is MedicationRequest {
  return r?.resourceType === 'MedicationRequest';
}

function selectOrders(drafts: MedicationRequest[], selections: readonly string[] | undefined): MedicationRequest[] {
  if (!selections || selections.length === 0) return drafts;
  const ids = new Set(selections.map((s) => s.replace(/^MedicationRequest\//, '')));
  const chosen = drafts.filter((d) => d.id !== undefined && ids.has(d.id));
  return chosen.length > 0 ? chosen : drafts;
}

/**
 * Client quirks made regular once, here: some clients send `doseAndRate` as a
 * single object instead of an array, or `dosageInstruction` as one object.
 */
function normalizeDosages(value: unknown): Dosage[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = (Array.isArray(value) ? value : [value]).filter((d): d is Dosage => typeof d === 'object' && d !== null);
  return list.map((d) => {
    const dr = (d as { doseAndRate?: unknown }).doseAndRate;
    if (dr === undefined || Array.isArray(dr)) return d;
    return { ...d, doseAndRate: typeof dr === 'object' && dr !== null ? [dr as NonNullable<Dosage['doseAndRate']>[number]] : undefined };
  });
}

function normalizeMedicationRequest(order: MedicationRequest): MedicationRequest {
  const dosageInstruction = normalizeDosages(order.dosageInstruction);
  // A single category object (sent by some clients instead of an array) is read as a list of one.
  const category: unknown = order.category;
  const categories = category === undefined || Array.isArray(category) ? order.category : [category as CodeableConcept];
  if (dosageInstruction === order.dosageInstruction && categories === order.category) return order;
  return { ...order, dosageInstruction, ...(categories ? { category: categories } : {}) };
}

function normalizeMedicationStatement(statement: MedicationStatement): MedicationStatement {
  const dosage = normalizeDosages(statement.dosage);
  return dosage === statement.dosage ? statement : { ...statement, dosage };
}
