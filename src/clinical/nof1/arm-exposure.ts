import { identifyOpioid, mainIngredient, orderMme, type MmeKnowledge } from '../mme/index.js';
import { armExposureNote, Cyp2d6InputError, TwinInputError, twinInputSchema, type ArmExposureNote, type Cyp2d6Spec, type TwinKnowledge } from '../twin/index.js';
import { armMedicationRequest, type ArmDesign } from './careplan.js';
import type { Arm } from './trial.js';

/**
 * The in-silico trial before the real one (issues 22 and 23): for each drug arm
 * of a planned N-of-1 trial, what the pharmacokinetic twin predicts this
 * patient's body would make of it at steady state, beside a normal metabolizer
 * on the same regimen, with the twin's information-only note when the arm is
 * predicted to give little active drug or unusually high exposure. Never a
 * dosing instruction. An arm the twin cannot simulate (no model for the drug, a
 * dose not in mg, no weight) says why instead of showing nothing.
 */
export interface ArmExposure {
  readonly arm: Arm;
  /** What to show beside the arm: the note, the exposure in words, or why there is none. */
  readonly text: string;
  readonly exposure?: ArmExposureNote;
}

export interface ArmExposurePatient {
  /** Entered in the planner (the app does not read weight from the record); without it nothing is simulated. */
  readonly weightKg?: number;
  /** The service's CYP2D6 result for the patient: undefined when there is none on file, 'unreadable' when the results could not be read. */
  readonly cyp2d6?: Cyp2d6Spec | 'unreadable';
  /** Active CYP2D6 inhibitors on the medication list; undefined when the list could not be read. */
  readonly inhibitors?: readonly string[];
}

/** The CYP2D6 result as the twin takes it, before inhibitors (they are applied by the twin): the diplotype, else the reported phenotype. */
export function cyp2d6SpecFrom(facts: Readonly<Record<string, unknown>>): Cyp2d6Spec | undefined {
  if (facts['cyp2d6.hasResult'] !== true) return undefined;
  if (typeof facts['cyp2d6.diplotype'] === 'string' && facts['cyp2d6.diplotype']) return { diplotype: facts['cyp2d6.diplotype'] };
  return typeof facts['cyp2d6.genotypePhenotype'] === 'string' && facts['cyp2d6.genotypePhenotype'] ? { phenotype: facts['cyp2d6.genotypePhenotype'] } : undefined;
}

/** The regimen the twin takes for a drug arm: the drug it has a model for and the mg per dose, or why there is none. */
function armRegimen(a: ArmDesign & { dose: NonNullable<ArmDesign['dose']> }, twin: TwinKnowledge, mme: MmeKnowledge): { drug: string; doseMg: number } | { reason: string } {
  const request = armMedicationRequest(a, 'planner');
  const identified = identifyOpioid(request, undefined, mme);
  // A product of two opioids has no single model.
  const drug = identified.kind === 'opioid' && identified.components.length > 1 ? undefined : mainIngredient(identified);
  const modelled = twin.pk.data.models.map((m) => m.drug);
  if (!drug || !modelled.includes(drug)) return { reason: `the twin has models for ${modelled.join(', ')} only` };
  // mg per dose from the same reading of the product and dose as the MME (1 tablet of a 50 mg product is 50 mg).
  const daily = orderMme(request, true, identified, mme)?.amounts?.[0];
  const doseMg = daily?.unit === 'mg' ? daily.value / a.dose.timesPerDay : a.dose.unit.trim().toLowerCase() === 'mg' ? a.dose.amount : undefined;
  if (doseMg === undefined) return { reason: `the dose in mg could not be worked out (${a.dose.amount} ${a.dose.unit}; name the product with its strength, or give the dose in mg)` };
  return { drug, doseMg };
}

/**
 * A drug arm above its labelled single or daily maximum (pk-models.json doseLimits whose source is a label, not the
 * twin's own plausibility bound) is refused: the planner writes each period's order, and such an order is an error.
 */
export function armDoseProblems(arms: Readonly<Record<Arm, ArmDesign>>, twin: TwinKnowledge, mme: MmeKnowledge): { path: string; message: string }[] {
  return (['A', 'B'] as const).flatMap((key) => {
    const a = arms[key];
    if (a.kind !== 'drug' || !a.medication || !a.dose) return [];
    const regimen = armRegimen({ ...a, dose: a.dose }, twin, mme);
    if ('reason' in regimen) return [];
    const limits = twin.pk.data.models.find((m) => m.drug === regimen.drug)!.doseLimits;
    if (limits.source.startsWith('twinAssumption')) return [];
    const perDay = regimen.doseMg * a.dose.timesPerDay;
    if (regimen.doseMg > limits.maxSingleMg) return [{ path: `arms.${key}.dose`, message: `${regimen.doseMg} mg of ${regimen.drug} a dose is above the labelled maximum of ${limits.maxSingleMg} mg (${limits.source})` }];
    if (perDay > limits.maxDailyMg + 1e-9) return [{ path: `arms.${key}.dose`, message: `${perDay} mg of ${regimen.drug} a day is above the labelled maximum of ${limits.maxDailyMg} mg (${limits.source})` }];
    return [];
  });
}

export function armExposures(arms: Readonly<Record<Arm, ArmDesign>>, patient: ArmExposurePatient, twin: TwinKnowledge, mme: MmeKnowledge): ArmExposure[] {
  return (['A', 'B'] as const).flatMap((key) => {
    const a = arms[key];
    if (a.kind !== 'drug' || !a.medication || !a.dose) return [];
    const regimen = armRegimen({ ...a, dose: a.dose }, twin, mme);
    if ('reason' in regimen) return [{ arm: key, text: `Not simulated: ${regimen.reason}.` }];
    const { drug, doseMg } = regimen;
    if (patient.weightKg === undefined) return [{ arm: key, text: "Not simulated: enter the patient's weight to see this arm's predicted exposure." }];
    const weight = twinInputSchema.shape.weightKg.safeParse(patient.weightKg);
    if (!weight.success) return [{ arm: key, text: `Not simulated: a weight of ${patient.weightKg} kg ${weight.error.issues[0]!.message} for these models.` }];
    // Unknown is not normal: with the laboratory results unreadable nothing is simulated for a CYP2D6-dependent drug.
    const dependent = twin.pk.data.models.find((m) => m.drug === drug)?.metabolite !== undefined;
    if (patient.cyp2d6 === 'unreadable' && dependent) return [{ arm: key, text: 'Not simulated: the laboratory results could not be read, so the CYP2D6 result is unknown.' }];
    const spec = patient.cyp2d6 === 'unreadable' ? undefined : patient.cyp2d6;
    const who = [
      spec || !dependent ? undefined : "no CYP2D6 result on file: shown for a normal metabolizer, this patient's may differ",
      patient.inhibitors || !dependent ? undefined : 'the medication list could not be read: no inhibitor applied',
    ]
      .filter(Boolean)
      .join('; ');
    try {
      const exposure = armExposureNote(
        { drug, doseMg, intervalHours: 24 / a.dose.timesPerDay },
        { weightKg: patient.weightKg, ...(spec ? { cyp2d6: spec } : {}), inhibitors: patient.inhibitors ?? [] },
        twin,
      );
      const share = exposure.level === 'not-cyp2d6-dependent' ? 'not changed by CYP2D6' : `about ${Math.round(exposure.fractionOfNormal * 100)}% of a normal metabolizer's`;
      const words = `Simulated ${exposure.activeMoiety} exposure at steady state: AUC over 24 h ${exposure.auc24} ng·h/mL, ${share}${who ? ` (${who})` : ''}.`;
      return [{ arm: key, text: exposure.note ? `${exposure.note} ${words}` : words, exposure }];
    } catch (e) {
      if (e instanceof TwinInputError || e instanceof Cyp2d6InputError) return [{ arm: key, text: `Not simulated: ${e.message}` }];
      throw e;
    }
  });
}
