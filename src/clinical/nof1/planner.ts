import { z } from 'zod';
import { jsonPath } from '../../knowledge/problems.js';
import { RXNORM } from '../medication.js';
import { identifyOpioid, mainIngredient, orderMme, type MmeKnowledge } from '../mme/index.js';
import type { RecommendationTable } from '../pgx/index.js';
import { armMedicationRequest, doseText, type ArmDesign, type TrialDesign } from './careplan.js';
import type { Nof1DefaultsTable } from './defaults.js';
import { planPeriods } from './randomise.js';
import { dayNumber, type Arm, type TrialProblem } from './trial.js';

/**
 * The trial planner's checks (issue 22): at least the table's minimum of
 * pairs, a washout shorter than a period, two treatments (a drug with its
 * dose, or a non-drug treatment), seeded randomisation, and for each arm its
 * MME per day (the service's own conversion, `orderMme`; unknown is said as
 * unknown, never as 0) and the CYP2D6 check: codeine or tramadol is refused
 * as an arm for the phenotypes of the table (CPIC 2021: poor and ultrarapid
 * metabolizers), with CPIC's advice as the reason. Pure.
 */

const dose = z
  .object({
    amount: z.number({ error: 'must be a number' }).positive('must be greater than 0').max(10_000),
    unit: z.string().trim().min(1).max(32),
    timesPerDay: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1).max(24),
    asNeeded: z.boolean().optional(),
  })
  .strict();

const arm = z
  .object({
    label: z.string().trim().min(1, 'must name the treatment').max(200),
    kind: z.enum(['drug', 'non-drug'], { error: 'must be "drug" or "non-drug"' }),
    medication: z.object({ system: z.string().url().max(256).optional(), code: z.string().max(64).optional(), display: z.string().trim().min(1).max(200) }).strict().optional(),
    dose: dose.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.kind === 'drug' && !a.medication) ctx.addIssue({ code: 'custom', path: ['medication'], message: 'a drug arm needs the drug (medication.display, with its RxNorm code when known)' });
    if (a.kind === 'drug' && !a.dose) ctx.addIssue({ code: 'custom', path: ['dose'], message: 'a drug arm needs its dose (amount, unit, timesPerDay)' });
    if (a.kind === 'non-drug' && (a.medication || a.dose)) ctx.addIssue({ code: 'custom', path: ['kind'], message: 'a non-drug arm has no medication or dose' });
  });

const planRequestSchema = z
  .object({
    patientId: z.string().min(1).max(256),
    start: z.string().refine((s) => dayNumber(s) !== undefined, 'must be a date written YYYY-MM-DD'),
    pairs: z.number({ error: 'must be a whole number' }).int('must be a whole number').max(12, 'more than 12 pairs is not offered'),
    periodDays: z.number({ error: 'must be a whole number of days' }).int('must be a whole number of days').min(1).max(60),
    washoutDays: z.number({ error: 'must be a whole number of days' }).int('must be a whole number of days').min(0).max(30),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    arms: z.object({ A: arm, B: arm }).strict(),
    blinded: z.boolean().default(false),
    blindingNote: z.string().max(500).default(''),
    primaryOutcome: z.string().default('pain'),
    secondaryOutcomes: z.array(z.string().max(32)).max(10).optional(),
    mcid: z.number().positive().max(100).optional(),
    separateDispensing: z.boolean().default(false),
    stoppingRules: z.array(z.string().trim().min(1).max(300)).max(10).optional(),
  })
  .strict();

export type PlanRequest = z.input<typeof planRequestSchema>;

export interface ArmCheck {
  readonly arm: Arm;
  readonly label: string;
  /** MME per day; null when it could not be computed (see mmeText), 0 for a non-opioid or non-drug arm. */
  readonly mmePerDay: number | null;
  readonly mmeText: string;
  readonly cyp2d6: { readonly status: 'refused' | 'ok' | 'unknown' | 'not-applicable'; readonly text: string };
}

export interface PlanOk {
  readonly design: TrialDesign;
  readonly arms: readonly ArmCheck[];
  /** Why more pairs are better, shown by the planner. */
  readonly pairsAdvice: string;
}

export interface PlannerContext {
  readonly table: Nof1DefaultsTable;
  readonly tableVersion: string;
  readonly mme: MmeKnowledge;
  readonly recommendations: RecommendationTable;
  /** The service's CYP2D6 phenotype to act on (UM, NM, IM, PM, Indeterminate), null with no result; `known` false when the results could not be read. */
  readonly cyp2d6: { readonly phenotype: string | null; readonly known: boolean; readonly text: string };
  /** A fresh seed when the request gives none. */
  readonly newSeed: () => number;
}

export const PAIRS_ADVICE =
  'More pairs are better: each pair is one more comparison of A against B, so chance, a good or bad week, or a slow change over time is less likely to decide the result, and the interval gets narrower. Two pairs are the minimum; three or four are common.';

/** The ingredient a drug arm names: by the MME tables, else by the names the refusal table lists. */
function ingredientOf(a: ArmDesign, mme: MmeKnowledge, refused: readonly string[]): string | undefined {
  if (a.kind !== 'drug' || !a.medication) return undefined;
  const found = mainIngredient(identifyOpioid(armMedicationRequest(a, 'planner'), undefined, mme));
  if (found) return found;
  const text = `${a.medication.display} ${a.label}`.toLowerCase();
  return refused.find((d) => text.includes(d));
}

function checkArm(key: Arm, a: ArmDesign, ctx: PlannerContext): ArmCheck {
  const refusals = ctx.table.cyp2d6Refusals;
  let mmePerDay: number | null = 0;
  let mmeText = a.kind === 'drug' ? 'not an opioid: 0 MME/day' : 'no drug: 0 MME/day';
  if (a.kind === 'drug' && a.medication) {
    const request = armMedicationRequest(a, 'planner');
    const row = orderMme(request, true, identifyOpioid(request, undefined, ctx.mme), ctx.mme);
    if (row && row.status === 'counted') {
      mmePerDay = row.mme;
      mmeText = `${row.mme} MME/day (${row.dailyAmount}, factor ${row.factor ?? 'per component'}; ${row.factorSet})`;
    } else if (row) {
      mmePerDay = null;
      mmeText = `MME unknown: ${row.reason ?? 'it could not be converted'}`;
    }
  }
  const ingredient = ingredientOf(a, ctx.mme, refusals.drugs);
  let cyp2d6: ArmCheck['cyp2d6'] = { status: 'not-applicable', text: 'not a CYP2D6-dependent drug in the table' };
  if (ingredient && refusals.drugs.includes(ingredient)) {
    const phenotype = ctx.cyp2d6.phenotype;
    const advice = ctx.recommendations.drugs.find((d) => d.drug === ingredient)?.byPhenotype?.[phenotype as 'PM']?.advice;
    if (!ctx.cyp2d6.known) cyp2d6 = { status: 'unknown', text: `CYP2D6 phenotype unknown (the laboratory results could not be read): check before using ${ingredient}` };
    else if (phenotype === null) cyp2d6 = { status: 'unknown', text: `no CYP2D6 result on file: ${ingredient} depends on CYP2D6; consider testing first` };
    else if ((refusals.phenotypes as readonly string[]).includes(phenotype))
      cyp2d6 = { status: 'refused', text: `${ingredient} is refused as an arm: ${ctx.cyp2d6.text}; CPIC: ${advice ?? 'avoid'} (${ctx.tableVersion})` };
    else cyp2d6 = { status: 'ok', text: `${ctx.cyp2d6.text}; CPIC: ${advice ?? 'no advice in the table'}` };
  }
  return { arm: key, label: a.label, mmePerDay, mmeText, cyp2d6 };
}

/** Validates a plan request and randomises it; all problems at once, each with its path. */
export function planTrial(json: unknown, ctx: PlannerContext, createdAt: string): { ok: true; value: PlanOk } | { ok: false; problems: TrialProblem[] } {
  const parsed = planRequestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })) };
  const r = parsed.data;
  const t = ctx.table;
  const problems: TrialProblem[] = [];
  if (r.pairs < t.design.minimumPairs) problems.push({ path: 'pairs', message: `must be at least ${t.design.minimumPairs}: ${PAIRS_ADVICE}` });
  if (r.washoutDays >= r.periodDays) problems.push({ path: 'washoutDays', message: `must be shorter than the period (${r.periodDays} days), or no day of a period would be analysed` });
  const outcomes = [t.outcomes.primary, ...t.outcomes.alternativePrimary, ...t.outcomes.secondary];
  const primary = outcomes.find((o) => o.key === r.primaryOutcome);
  if (!primary) problems.push({ path: 'primaryOutcome', message: `unknown outcome ${JSON.stringify(r.primaryOutcome)}: one of ${outcomes.map((o) => o.key).join(', ')}` });
  const secondaryKeys = r.secondaryOutcomes ?? t.outcomes.secondary.map((o) => o.key);
  secondaryKeys.forEach((k, i) => {
    if (!outcomes.some((o) => o.key === k)) problems.push({ path: `secondaryOutcomes[${i}]`, message: `unknown outcome ${JSON.stringify(k)}` });
  });
  // A code without a system is an RxNorm code (the planner's drug list), written so on the CarePlan.
  const withSystem = (a: ArmDesign): ArmDesign => (a.medication?.code && !a.medication.system ? { ...a, medication: { ...a.medication, system: RXNORM } } : a);
  const arms: Record<Arm, ArmDesign> = { A: withSystem(r.arms.A as ArmDesign), B: withSystem(r.arms.B as ArmDesign) };
  if (arms.A.label.toLowerCase() === arms.B.label.toLowerCase() && doseOf(arms.A) === doseOf(arms.B)) problems.push({ path: 'arms.B', message: 'is the same treatment as A: a trial compares two different treatments' });
  const checks = (['A', 'B'] as const).map((k) => checkArm(k, arms[k], ctx));
  for (const c of checks) if (c.cyp2d6.status === 'refused') problems.push({ path: `arms.${c.arm}`, message: c.cyp2d6.text });
  if (problems.length) return { ok: false, problems };
  const seed = r.seed ?? ctx.newSeed();
  const plan = planPeriods({ start: r.start, pairs: r.pairs, periodDays: r.periodDays, washoutDays: r.washoutDays, seed });
  const coding = (o: (typeof outcomes)[number]) => ({ system: o.system, code: o.code, display: o.display });
  const design: TrialDesign = {
    patientId: r.patientId,
    arms,
    pairs: r.pairs,
    periodDays: r.periodDays,
    washoutDays: r.washoutDays,
    randomisation: { seed, algorithm: plan.randomisation.algorithm, order: plan.randomisation.blocks.join(' ') },
    blinded: r.blinded,
    blindingNote: r.blindingNote,
    primaryOutcome: coding(primary!),
    secondaryOutcomes: secondaryKeys.filter((k) => k !== primary!.key).map((k) => coding(outcomes.find((o) => o.key === k)!)),
    mcid: r.mcid ?? t.mcid.value,
    separateDispensing: r.separateDispensing,
    stoppingRules: r.stoppingRules ?? defaultStoppingRules(),
    periods: plan.periods.map((p, index) => ({ index, arm: p.treatment, start: p.start, end: p.end, dispensedSeparately: r.separateDispensing })),
    status: 'active',
    created: createdAt,
  };
  return { ok: true, value: { design, arms: checks, pairsAdvice: PAIRS_ADVICE } };
}

const doseOf = (a: ArmDesign) => (a.dose ? doseText(a.dose) : '');

function defaultStoppingRules(): string[] {
  return [
    'A serious adverse event ends the arm and the trial; it is reported.',
    'The trial may stop early when the answer is already clear to the patient and the clinician.',
    'The patient may stop at any time, for any reason.',
  ];
}
