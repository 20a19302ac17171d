import { tableCitation } from '../../knowledge/table.js';
import type { Cyp2d6Spec } from './cyp2d6.js';
import { runTwin, type TwinKnowledge } from './run.js';
import { significant } from './simulate.js';

/**
 * The simulated exposure of one arm of an N-of-1 trial (or any regimen) for one
 * patient, and an information-only note when the twin predicts little active drug
 * or unusually high exposure compared with a normal metabolizer on the same
 * regimen. The cut-offs are named, versioned values in rules/knowledge/pk-models.json
 * (exposureNotes), with their reasoning. Pure: the tables are given.
 *
 * Meant for the N-of-1 planner (src/smart-app/nof1.js, src/nof1-api.ts): call it per
 * arm with the patient's CYP2D6 result, inhibitors and weight; show `note` beside the
 * arm when it is not null, and `measure` + `cutOffs` on request. It never says what
 * dose to give.
 */
export interface ArmRegimen {
  readonly drug: string;
  /** mg of the salt on the tablet per dose. */
  readonly doseMg: number;
  readonly intervalHours: number;
}

export interface ArmPatient {
  readonly weightKg: number;
  readonly cyp2d6?: Cyp2d6Spec;
  readonly inhibitors?: readonly string[];
}

export type ArmExposureLevel = 'little-active-drug' | 'unusually-high' | 'expected' | 'not-cyp2d6-dependent';

export interface ArmExposureNote {
  readonly drug: string;
  /** The substance that relieves pain (morphine for codeine, O-desmethyltramadol for tramadol, morphine for morphine). */
  readonly activeMoiety: string;
  /** Steady-state AUC over 24 h and Cmax of the active moiety, ng·h/mL and ng/mL. */
  readonly auc24: number;
  readonly cmax: number;
  /** The same regimen and weight at the reference activity score with no inhibitor. */
  readonly normalMetabolizerAuc24: number;
  /** auc24 / normalMetabolizerAuc24. */
  readonly fractionOfNormal: number;
  readonly effectiveActivityScore: number | null;
  readonly level: ArmExposureLevel;
  /** Information only; null when nothing stands out. */
  readonly note: string | null;
  readonly cutOffs: { readonly low: number; readonly high: number; readonly version: string };
  readonly measure: string;
  readonly label: string;
}

/** Days simulated to reach steady state (every model's is within 4 days; see validation tests). */
const ARM_SIMULATION_DAYS = 7;

export function armExposureNote(regimen: ArmRegimen, patient: ArmPatient, knowledge: TwinKnowledge): ArmExposureNote {
  const base = { drug: regimen.drug, doseMg: regimen.doseMg, intervalHours: regimen.intervalHours, days: ARM_SIMULATION_DAYS, weightKg: patient.weightKg, outputEveryHours: 6 };
  const self = runTwin({ ...base, inhibitors: [...(patient.inhibitors ?? [])], ...(patient.cyp2d6 ? { cyp2d6: patient.cyp2d6 } : {}) }, knowledge);
  const reference = runTwin({ ...base, inhibitors: [], cyp2d6: { activityScore: knowledge.pk.data.cyp2d6.referenceActivityScore } }, knowledge);
  const notes = knowledge.pk.data.exposureNotes;
  const fraction = reference.active.auc24 > 0 ? self.active.auc24 / reference.active.auc24 : 1;
  const dependent = self.effectiveActivityScore !== null;
  const level: ArmExposureLevel = !dependent ? 'not-cyp2d6-dependent' : fraction < notes.lowFraction.value ? 'little-active-drug' : fraction > notes.highFraction.value ? 'unusually-high' : 'expected';
  const pct = Math.round(fraction * 100);
  const who = patient.cyp2d6 ? 'this patient' : 'this patient (no CYP2D6 result given: simulated as a normal metabolizer)';
  const note =
    level === 'little-active-drug'
      ? `Information only: for ${who}, ${self.drug} ${regimen.doseMg} mg every ${regimen.intervalHours} h is predicted to give little ${self.active.name} (about ${pct}% of a normal metabolizer's exposure on the same regimen). A trial arm with it may test a drug that barely reaches its active form.`
      : level === 'unusually-high'
        ? `Information only: for ${who}, ${self.drug} ${regimen.doseMg} mg every ${regimen.intervalHours} h is predicted to give unusually high ${self.active.name} exposure (about ${(fraction).toFixed(1)} times a normal metabolizer's on the same regimen).`
        : null;
  return {
    drug: self.drug,
    activeMoiety: self.active.name,
    auc24: self.active.auc24,
    cmax: self.active.cmax,
    normalMetabolizerAuc24: reference.active.auc24,
    fractionOfNormal: significant(fraction, 4),
    effectiveActivityScore: self.effectiveActivityScore,
    level,
    note,
    cutOffs: { low: notes.lowFraction.value, high: notes.highFraction.value, version: `${tableCitation(knowledge.pk.meta)}#exposureNotes@${notes.version}` },
    measure: notes.measure,
    label: self.label,
  };
}
