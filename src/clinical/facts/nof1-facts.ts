import type { CarePlan, MedicationRequest, MedicationStatement } from 'fhir/r4';
import type { PainKnowledge } from '../knowledge.js';
import { conceptText, drugName, medicationOf, rxnormCodes } from '../medication.js';
import { identifyOpioid, mainIngredient } from '../mme/index.js';
import { isNof1CarePlan, readTrialCarePlan } from '../nof1/careplan-read.js';
import { armMedicationRequest, type TrialDesign } from '../nof1/careplan.js';
import { countTrialSupplies, currentPeriod, idOf, type RunningTrial } from '../nof1/mme-count.js';
import type { PatientContext } from '../patient-context.js';
import { namesPatient } from '../../knowledge/references.js';
import type { OrderFacts, PatientFacts } from './catalog.js';
import { isoDay } from '../dates.js';

/**
 * N-of-1 trial facts (issue 22). A running trial is an active CarePlan of the
 * patient in prefetch (key carePlans) in the representation of
 * src/clinical/nof1/careplan.ts. It gives:
 * - the records the MME summary counts (nof1/mme-count.ts: the higher arm
 *   once, or the current period's order only when each period's supply is
 *   dispensed separately);
 * - per order, whether its drug is one of the trial's, and a note for the
 *   trial card: the schedule when the trial is open, and only that the
 *   schedule is with the pharmacy when it is blinded.
 * Only CarePlans whose subject is this patient are read.
 */

type Order = MedicationRequest | MedicationStatement;

export interface Nof1Producer {
  readonly records: readonly Order[];
  readonly patient: Partial<PatientFacts>;
  readonly order: (order: MedicationRequest) => Partial<OrderFacts>;
}

function runningTrials(context: PatientContext): RunningTrial[] {
  const own = (cp: CarePlan) => typeof cp.subject?.reference === 'string' && namesPatient(cp.subject.reference, context.patientId);
  return context.carePlans
    .filter((cp) => cp.status === 'active' && isNof1CarePlan(cp) && own(cp))
    .flatMap((cp) => {
      // A CarePlan that cannot be read is not a trial: its orders are then summed, which can only overcount.
      const read = readTrialCarePlan(cp);
      return read.ok && read.value.status === 'active' && !read.value.earlyStop && read.value.patientId === context.patientId ? [{ design: read.value, ref: `CarePlan/${typeof cp.id === 'string' ? cp.id : 'unidentified'}` }] : [];
    });
}

/** How the trial reads on a card: dates, period, and the schedule only when not blinded. */
function scheduleText(design: TrialDesign, today: string): string {
  const now = currentPeriod(design, today);
  const where = now ? `today is in period ${now.index + 1} of ${design.periods.length}` : today < design.periods[0]!.start ? `it starts on ${design.periods[0]!.start}` : `its last period ended on ${design.periods.at(-1)!.end}`;
  const head = `N-of-1 trial from ${design.periods[0]!.start} to ${design.periods.at(-1)!.end} (${design.pairs} pairs of ${design.periodDays}-day periods, ${design.washoutDays} washout day(s) after each switch); ${where}.`;
  if (design.blinded) {
    return `${head} The trial is blinded: the schedule (which treatment in which period) is with the pharmacy and is not shown here. Treatments compared (in alphabetical order, not as A and B): ${[design.arms.A.label, design.arms.B.label].sort((a, b) => a.localeCompare(b)).join(' and ')}.`;
  }
  const rows = design.periods.map((p) => `period ${p.index + 1} ${p.start} to ${p.end}: ${p.arm} (${design.arms[p.arm].label})`).join('; ');
  return `${head} Schedule: ${rows}.`;
}

/** Does this order's drug match one of the trial's drug arms (RxNorm code, name, or opioid ingredient)? */
function matchingArm(order: MedicationRequest, design: TrialDesign, trialOrders: readonly Order[], context: PatientContext, k: PainKnowledge): 'A' | 'B' | undefined {
  const concept = medicationOf(order, context.resolveMedication).concept;
  const codes = new Set(rxnormCodes(concept));
  const text = conceptText(concept).trim().toLowerCase();
  const ingredient = mainIngredient(identifyOpioid(order, context.resolveMedication, k.mme));
  for (const arm of ['A', 'B'] as const) {
    const a = design.arms[arm];
    if (a.kind !== 'drug' || !a.medication) continue;
    if (a.medication.code && codes.has(a.medication.code)) return arm;
    if (text && a.medication.display.trim().toLowerCase() === text) return arm;
    const armIds = new Set(design.periods.filter((p) => p.arm === arm).map((p) => idOf(p.medicationRequest)));
    for (const r of trialOrders) {
      if (r.resourceType !== 'MedicationRequest' || !r.id || !armIds.has(r.id)) continue;
      if (rxnormCodes(medicationOf(r, context.resolveMedication).concept).some((c) => codes.has(c))) return arm;
    }
    if (ingredient && mainIngredient(identifyOpioid(armMedicationRequest(a, context.patientId), undefined, k.mme)) === ingredient) return arm;
  }
  return undefined;
}

export function nof1Facts(context: PatientContext, records: readonly Order[], k: PainKnowledge): Nof1Producer {
  const trials = runningTrials(context);
  const today = isoDay(context.now);
  const counted = countTrialSupplies(records, trials, today, k.mme, context.resolveMedication);
  const running = trials.find((t) => t.design.periods[0]!.start <= today && today <= t.design.periods.at(-1)!.end) ?? trials[0];
  const patient: Partial<PatientFacts> = {
    'nof1.known': !context.unavailable.some((u) => u.key === 'carePlans'),
    'nof1.running': running !== undefined,
    'nof1.trialText': running ? scheduleText(running.design, today) : '',
    'nof1.mmeNote': counted.notes.join(' '),
  };
  return {
    records: counted.records,
    patient,
    order: (order) => {
      for (const t of trials) {
        const arm = matchingArm(order, t.design, records, context, k);
        if (!arm) continue;
        const d = t.design;
        const drug = drugName(order, context.resolveMedication) || 'This drug';
        return {
          'order.inNof1Trial': true,
          'order.nof1Summary': `${drug.length > 60 ? `${drug.slice(0, 57)}...` : drug} is part of a running ${d.blinded ? 'blinded ' : ''}N-of-1 trial`,
          'order.nof1Note': `${d.blinded ? 'This drug is one of the two treatments' : `This drug is treatment ${arm} (${d.arms[arm].label})`} of the patient's N-of-1 trial (${t.ref}). ${scheduleText(d, today)}`,
        };
      }
      return { 'order.inNof1Trial': false, 'order.nof1Summary': '', 'order.nof1Note': '' };
    },
  };
}
