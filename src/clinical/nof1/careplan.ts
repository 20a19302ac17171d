import type { CarePlan, CarePlanActivity, Coding, Dosage, Extension, MedicationRequest, Observation, Reference } from 'fhir/r4';
import { dayCount, type Arm } from './trial.js';

/**
 * The FHIR R4 representation of an N-of-1 trial (issue 22), written by the
 * SMART app into the EHR and read back by the service (cards, MME counting,
 * report). Pure: no I/O.
 *
 * - The trial is one CarePlan, category urn:pain-cds:nof1#nof1-trial,
 *   intent `plan`, status `active` while it runs, `completed` when it ended
 *   as planned, `revoked` when it stopped early. `period` spans the trial.
 * - The design is one complex extension NOF1_TRIAL_EXTENSION on the CarePlan:
 *   the two arms (label, kind drug/non-drug, medication, dosage), pairs,
 *   period and washout days, the randomisation (seed as a string because a
 *   seed runs to 2^32 − 1, beyond valueInteger; the algorithm; the order
 *   written `AB BA AB`), blinding and its note, the primary and secondary
 *   outcome codes, the MCID, whether each period's supply is dispensed
 *   separately, and the stopping rules (text). The randomisation is also a
 *   CarePlan.note for people reading the record without this service.
 * - One CarePlan.activity per period, in calendar order, each with the
 *   extension NOF1_PERIOD_EXTENSION (index, arm, start, end,
 *   dispensedSeparately). A drug period's activity has `reference` to the
 *   period's MedicationRequest; a non-drug period's has `detail` (status,
 *   code text, scheduledPeriod). R4 forbids both on one activity (cpl-3),
 *   which is why the dates are in the extension for every period.
 * - An early stop is the extension NOF1_STOP_EXTENSION: date, reason (a coding
 *   of urn:pain-cds:nof1: adverse-event, clear-answer, patient-wish), whether
 *   it was a serious adverse event, the arm it ended and a note.
 * - Daily scores are Observations (status final, category survey) whose
 *   `basedOn` references the CarePlan: R4 Observation.basedOn allows CarePlan
 *   (Observation.partOf does not, and `focus` would say the score is about the
 *   plan rather than the patient). Pain is LOINC 72514-3; side effects,
 *   adherence and serious adverse events use the codes of
 *   rules/knowledge/nof1-defaults.json (local system urn:pain-cds:nof1).
 *   effectiveDateTime is the calendar day; the value is valueInteger 0-10
 *   (valueBoolean for adherence, valueString for a serious adverse event).
 */

const NOF1_SYSTEM = 'urn:pain-cds:nof1';
export const NOF1_CATEGORY: Coding = { system: NOF1_SYSTEM, code: 'nof1-trial', display: 'N-of-1 trial' };
export const NOF1_TRIAL_EXTENSION = 'urn:pain-cds:nof1-trial';
export const NOF1_PERIOD_EXTENSION = 'urn:pain-cds:nof1-period';
export const NOF1_STOP_EXTENSION = 'urn:pain-cds:nof1-early-stop';
const UCUM = 'http://unitsofmeasure.org';

export interface ArmDesign {
  readonly label: string;
  readonly kind: 'drug' | 'non-drug';
  /** The drug (RxNorm when known); undefined for a non-drug arm. */
  readonly medication?: { readonly system?: string; readonly code?: string; readonly display: string };
  /** One administration and how often, for a drug arm. */
  readonly dose?: { readonly amount: number; readonly unit: string; readonly timesPerDay: number; readonly asNeeded?: boolean };
}

export interface PeriodDesign {
  readonly index: number;
  readonly arm: Arm;
  readonly start: string;
  readonly end: string;
  readonly dispensedSeparately: boolean;
  /** The period's MedicationRequest (drug arms), as written in the CarePlan. */
  readonly medicationRequest?: string;
}

export interface EarlyStop {
  readonly date: string;
  readonly reason: Coding;
  readonly serious: boolean;
  readonly arm?: Arm;
  readonly note?: string;
}

export interface TrialDesign {
  readonly patientId: string;
  readonly arms: Readonly<Record<Arm, ArmDesign>>;
  readonly pairs: number;
  readonly periodDays: number;
  readonly washoutDays: number;
  readonly randomisation: { readonly seed: number; readonly algorithm: string; readonly order: string };
  readonly blinded: boolean;
  readonly blindingNote: string;
  readonly primaryOutcome: Coding;
  readonly secondaryOutcomes: readonly Coding[];
  readonly mcid: number;
  readonly separateDispensing: boolean;
  readonly stoppingRules: readonly string[];
  readonly periods: readonly PeriodDesign[];
  readonly status: 'active' | 'completed' | 'revoked';
  readonly earlyStop?: EarlyStop;
  readonly created?: string;
}

/** "1 tablet 4 times a day", "as needed" added when so. */
export function doseText(dose: NonNullable<ArmDesign['dose']>): string {
  const times = dose.timesPerDay === 1 ? 'once a day' : dose.timesPerDay === 2 ? 'twice a day' : `${dose.timesPerDay} times a day`;
  return `${dose.amount} ${dose.unit} ${dose.asNeeded ? 'up to ' : ''}${times}${dose.asNeeded ? ' as needed' : ''}`;
}

function armDosage(dose: NonNullable<ArmDesign['dose']>, bounds?: { start: string; end: string }): Dosage {
  return {
    text: doseText(dose),
    timing: { repeat: { frequency: dose.timesPerDay, period: 1, periodUnit: 'd', ...(bounds ? { boundsPeriod: bounds } : {}) } },
    doseAndRate: [{ doseQuantity: { value: dose.amount, unit: dose.unit } }],
    ...(dose.asNeeded ? { asNeededBoolean: true } : {}),
  };
}

/** A MedicationRequest for one drug arm (the planner uses it for the arm's MME; the trial writes one per period). */
export function armMedicationRequest(arm: ArmDesign, patientId: string, period?: PeriodDesign, total?: number, authoredOn?: string): MedicationRequest {
  const m = arm.medication!;
  const days = period ? dayCount(period.start, period.end) : undefined;
  return {
    resourceType: 'MedicationRequest',
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    ...(authoredOn ? { authoredOn } : {}),
    medicationCodeableConcept: { ...(m.code ? { coding: [{ system: m.system ?? 'http://www.nlm.nih.gov/research/umls/rxnorm', code: m.code, display: m.display }] } : {}), text: m.display },
    ...(arm.dose ? { dosageInstruction: [armDosage(arm.dose, period ? { start: period.start, end: period.end } : undefined)] } : {}),
    ...(period
      ? {
          dispenseRequest: { validityPeriod: { start: period.start, end: period.end }, expectedSupplyDuration: { value: days!, unit: 'days', system: UCUM, code: 'd' } },
          note: [{ text: `N-of-1 trial period ${period.index + 1}${total ? ` of ${total}` : ''} (treatment ${period.arm}: ${arm.label})${period.dispensedSeparately ? '; dispensed for this period only' : ''}` }],
        }
      : {}),
  };
}

const ext = (url: string, value: Omit<Extension, 'url'>): Extension => ({ url, ...value });

function armExtensions(key: Arm, arm: ArmDesign): Extension[] {
  return [
    ext(`arm${key}`, { valueString: arm.label }),
    ext(`arm${key}Kind`, { valueCode: arm.kind }),
    ...(arm.medication
      ? [ext(`arm${key}Medication`, { valueCodeableConcept: { ...(arm.medication.code ? { coding: [{ system: arm.medication.system ?? 'http://www.nlm.nih.gov/research/umls/rxnorm', code: arm.medication.code, display: arm.medication.display }] } : {}), text: arm.medication.display } })]
      : []),
    ...(arm.dose ? [ext(`arm${key}Dosage`, { valueDosage: armDosage(arm.dose) })] : []),
  ];
}

/** The early-stop extension (the app adds it when a trial stops early). */
export function earlyStopExtension(stop: EarlyStop): Extension {
  return {
    url: NOF1_STOP_EXTENSION,
    extension: [
      ext('date', { valueDate: stop.date }),
      ext('reason', { valueCoding: stop.reason }),
      ext('serious', { valueBoolean: stop.serious }),
      ...(stop.arm ? [ext('arm', { valueCode: stop.arm })] : []),
      ...(stop.note ? [ext('note', { valueString: stop.note })] : []),
    ],
  };
}

/**
 * The CarePlan of a trial and, for drug periods, one MedicationRequest per
 * period. The requests carry `id`s `nof1-period-<n>`; the CarePlan refers to
 * them as `MedicationRequest/nof1-period-<n>`, which the writer replaces with
 * the ids the FHIR server gives (a patient-scoped token may not post a
 * transaction).
 */
export function trialResources(design: TrialDesign, authoredOn: string): { carePlan: CarePlan; medicationRequests: MedicationRequest[] } {
  const medicationRequests: MedicationRequest[] = [];
  const activity: CarePlanActivity[] = design.periods.map((p) => {
    const arm = design.arms[p.arm];
    const periodExt: Extension = {
      url: NOF1_PERIOD_EXTENSION,
      extension: [ext('index', { valueInteger: p.index }), ext('arm', { valueCode: p.arm }), ext('start', { valueDate: p.start }), ext('end', { valueDate: p.end }), ext('dispensedSeparately', { valueBoolean: p.dispensedSeparately })],
    };
    if (arm.kind === 'drug' && arm.medication) {
      const id = p.medicationRequest?.replace(/^MedicationRequest\//, '') ?? `nof1-period-${p.index + 1}`;
      medicationRequests.push({ id, ...armMedicationRequest(arm, design.patientId, p, design.periods.length, authoredOn) });
      const ref: Reference = { reference: `MedicationRequest/${id}`, display: `Period ${p.index + 1}: ${design.blinded ? 'trial medicine (blinded)' : arm.label}` };
      return { extension: [periodExt], reference: ref };
    }
    return {
      extension: [periodExt],
      detail: { status: 'scheduled', code: { text: arm.label }, scheduledPeriod: { start: p.start, end: p.end }, description: `Period ${p.index + 1}: treatment ${p.arm}` },
    };
  });
  const randomisationText = `Randomisation: seed ${design.randomisation.seed}, ${design.randomisation.algorithm}; order of the blocks ${design.randomisation.order}.`;
  const trialExt: Extension = {
    url: NOF1_TRIAL_EXTENSION,
    extension: [
      ...armExtensions('A', design.arms.A),
      ...armExtensions('B', design.arms.B),
      ext('pairs', { valueInteger: design.pairs }),
      ext('periodDays', { valueInteger: design.periodDays }),
      ext('washoutDays', { valueInteger: design.washoutDays }),
      ext('seed', { valueString: String(design.randomisation.seed) }),
      ext('algorithm', { valueString: design.randomisation.algorithm }),
      ext('order', { valueString: design.randomisation.order }),
      ext('blinded', { valueBoolean: design.blinded }),
      ...(design.blindingNote ? [ext('blindingNote', { valueString: design.blindingNote })] : []),
      ext('primaryOutcome', { valueCoding: design.primaryOutcome }),
      ...design.secondaryOutcomes.map((c) => ext('secondaryOutcome', { valueCoding: c })),
      ext('mcid', { valueDecimal: design.mcid }),
      ext('separateDispensing', { valueBoolean: design.separateDispensing }),
      ...design.stoppingRules.map((r) => ext('stoppingRule', { valueString: r })),
    ],
  };
  const carePlan: CarePlan = {
    resourceType: 'CarePlan',
    status: design.status,
    intent: 'plan',
    category: [{ coding: [NOF1_CATEGORY] }],
    title: `N-of-1 trial: ${design.blinded ? 'A vs B (blinded)' : `${design.arms.A.label} vs ${design.arms.B.label}`}`,
    description: `${design.pairs} pairs of ${design.periodDays}-day periods, ${design.washoutDays} washout day(s) after each switch; daily ${design.primaryOutcome.display ?? 'outcome'}.`,
    subject: { reference: `Patient/${design.patientId}` },
    period: { start: design.periods[0]!.start, end: design.periods.at(-1)!.end },
    created: authoredOn,
    extension: [trialExt, ...(design.earlyStop ? [earlyStopExtension(design.earlyStop)] : [])],
    note: [{ text: randomisationText }],
    activity,
  };
  return { carePlan, medicationRequests };
}

/** A daily score Observation tied to the trial (basedOn the CarePlan). */
export function dailyObservation(carePlanRef: string, patientId: string, code: Coding, date: string, value: number | boolean | string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey', display: 'Survey' }] }],
    code: { coding: [code], text: code.display },
    subject: { reference: `Patient/${patientId}` },
    basedOn: [{ reference: carePlanRef }],
    effectiveDateTime: date,
    ...(typeof value === 'number' ? { valueInteger: value } : typeof value === 'boolean' ? { valueBoolean: value } : { valueString: value }),
  };
}
