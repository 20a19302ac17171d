import { autocorrelationCheck, carryOverCheck, periodMeans, periodMeansCheck, trendCheck, type AutocorrelationCheck, type Check, type PeriodMeansCheck, type SubsetCheck, type TrendCheck } from './checks.js';
import { summarise, twoArmPosterior, type EffectSummary } from './model.js';
import { parseTrial, type Parsed, type Trial, type TrialInput, type TrialProblem } from './trial.js';
import { selectObservations, type ExcludedObservation } from './washout.js';
import { describeModel, interpret, roundDeep, type Nof1Defaults } from './report.js';

/**
 * The analysis of one N-of-1 trial: validate, drop washout days, fit the
 * closed-form model (model.ts), run the checks (checks.ts), and report the
 * numbers with plain warnings. Pure: the same input gives the same digits.
 */


export interface Nof1Result {
  readonly treatments: { readonly A: string; readonly B: string };
  readonly outcome: { readonly name: string; readonly lowerIsBetter: boolean; readonly mcid: number; readonly mcidSource: string };
  readonly meanDifference: number;
  readonly credibleInterval95: readonly [number, number];
  readonly probabilityBBetter: number;
  readonly probabilityClinicallyImportant: number;
  readonly observationsUsed: number;
  readonly observationsExcluded: readonly Omit<ExcludedObservation, 'index'>[];
  readonly arms: Readonly<Record<'A' | 'B', { readonly treatment: string; readonly observations: number; readonly periods: number; readonly mean: number }>>;
  readonly periods: readonly { readonly index: number; readonly treatment: 'A' | 'B'; readonly start: string; readonly end: string; readonly observationsUsed: number; readonly mean: number | null }[];
  readonly checks: {
    readonly trend: Check<TrendCheck>;
    readonly carryOver: Check<SubsetCheck>;
    readonly periodMeans: Check<PeriodMeansCheck>;
    readonly autocorrelation: Check<AutocorrelationCheck>;
  };
  readonly warnings: readonly string[];
  readonly interpretation: string;
  readonly model: ReturnType<typeof describeModel>;
}

export function analyzeTrial(json: unknown, defaults: Nof1Defaults): Parsed<Nof1Result> {
  const parsed = parseTrial(json);
  if (!parsed.ok) return parsed;
  const trial = parsed.value;
  const { input } = trial;
  const problems: TrialProblem[] = [];
  const mcid = input.outcome.mcid ?? defaults.mcid;
  const mcidSource = input.outcome.mcid !== undefined ? 'the trial file (outcome.mcid)' : defaults.source;

  const { used, excluded } = selectObservations(trial);
  for (const arm of ['A', 'B'] as const) {
    if (used.some((o) => o.treatment === arm)) continue;
    const washout = excluded.filter((e) => e.reason === 'washout' && e.treatment === arm).length;
    problems.push({
      path: 'observations',
      message: `no observation of treatment ${arm} (${input.treatments[arm]}) is left to analyse${washout > 0 ? ` (${washout} fell in washout days)` : ''}: each arm needs scores on days of its periods after the washout`,
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  const valuesOf = (arm: 'A' | 'B') => used.filter((o) => o.treatment === arm).map((o) => o.value);
  const main = twoArmPosterior(valuesOf('A'), valuesOf('B'));
  if (!main.ok) return { ok: false, problems: [{ path: 'observations', message: `cannot be analysed: ${main.reason}` }] };

  const { lowerIsBetter } = input.outcome;
  const effect = summarise(main.fit.difference, lowerIsBetter, mcid);
  const means = periodMeans(used);
  const firstDay = trial.periods[0]!.startDay;
  const trend = trendCheck(used, firstDay, lowerIsBetter, mcid, effect);
  const carryOver = carryOverCheck(used, lowerIsBetter, mcid, effect);
  const byPeriod = periodMeansCheck(means, lowerIsBetter, mcid, effect);
  const autocorrelation = autocorrelationCheck(used, { A: main.fit.meanA, B: main.fit.meanB }, main.fit.difference, lowerIsBetter, mcid);

  const warnings = buildWarnings({ input, trial, effect, trend, carryOver, byPeriod, autocorrelation, usedInputMcid: input.outcome.mcid !== undefined, autocorrelationWarning: defaults.autocorrelationWarning });
  const meanOf = new Map(means.map((m) => [m.period, m]));
  const result: Nof1Result = {
    treatments: input.treatments,
    outcome: { name: input.outcome.name, lowerIsBetter, mcid, mcidSource },
    ...effect,
    observationsUsed: used.length,
    observationsExcluded: excluded.map(({ date, value, reason, detail }) => ({ date, value, reason, detail })),
    arms: {
      A: { treatment: input.treatments.A, observations: main.fit.nA, periods: trial.periods.filter((p) => p.treatment === 'A').length, mean: main.fit.meanA },
      B: { treatment: input.treatments.B, observations: main.fit.nB, periods: trial.periods.filter((p) => p.treatment === 'B').length, mean: main.fit.meanB },
    },
    periods: trial.periods.map((p) => ({ index: p.index, treatment: p.treatment, start: p.start, end: p.end, observationsUsed: meanOf.get(p.index)?.observationsUsed ?? 0, mean: meanOf.get(p.index)?.mean ?? null })),
    checks: { trend, carryOver, periodMeans: byPeriod, autocorrelation },
    warnings,
    interpretation: interpret(input.treatments, input.outcome.name, lowerIsBetter, mcid, effect),
    model: describeModel(main.fit.difference.df, main.fit.difference.scale, main.fit.residualSd, input.washoutDays),
  };
  return { ok: true, value: roundDeep(result) };
}

interface WarningInputs {
  /** Lag-1 autocorrelation of the residuals from which the main interval is said to be too narrow (nof1-defaults.json). */
  readonly autocorrelationWarning: number;
  readonly input: TrialInput;
  readonly trial: Trial;
  readonly effect: EffectSummary;
  readonly trend: ReturnType<typeof trendCheck>;
  readonly carryOver: ReturnType<typeof carryOverCheck>;
  readonly byPeriod: ReturnType<typeof periodMeansCheck>;
  readonly autocorrelation: ReturnType<typeof autocorrelationCheck>;
  readonly usedInputMcid: boolean;
}

function buildWarnings(w: WarningInputs): string[] {
  const out: string[] = [];
  const pairs = Math.min(...(['A', 'B'] as const).map((a) => w.trial.periods.filter((p) => p.treatment === a).length));
  if (pairs < 2) out.push(`only ${pairs} pair of periods: a trial needs at least 2 pairs (A and B each at least twice) to tell a treatment effect from a change over time`);
  if (!w.usedInputMcid) out.push('the MCID is the default for a 0-10 pain scale; set outcome.mcid if the outcome uses another scale');
  if (w.trend.available && w.trend.trendDetected) {
    const t = w.trend.trendPerWeek;
    out.push(`the outcome drifted over the trial by ${fmt(t.estimate)} per week (95% CrI ${fmt(t.credibleInterval95[0])} to ${fmt(t.credibleInterval95[1])}) whatever the treatment; read the trend-adjusted estimate in checks.trend`);
  }
  if (w.trend.available && !w.trend.agreesWithMain) out.push('the trend-adjusted estimate disagrees with the main estimate: a change over time may be mistaken for a treatment effect');
  if (w.carryOver.available && !w.carryOver.agreesWithMain) out.push('the estimate from the second half of each period disagrees with the main estimate: a treatment may still act after the washout (carry-over); consider longer washout days');
  if (w.byPeriod.available && !w.byPeriod.agreesWithMain) out.push('the period-level estimate disagrees with the main estimate: one period may dominate the result');
  if (!w.byPeriod.available) out.push(`no period-level sensitivity analysis (${w.byPeriod.reason})`);
  if (w.autocorrelation.available && w.autocorrelation.lag1 >= w.autocorrelationWarning) {
    out.push(
      `scores on consecutive days are correlated (lag-1 r = ${fmt(w.autocorrelation.lag1)}): the main interval assumes independent days and is too narrow; prefer checks.periodMeans (or checks.autocorrelation.ar1Adjusted)`,
    );
  }
  return out;
}

function fmt(x: number): string {
  return (Math.round(x * 100) / 100).toFixed(2);
}
