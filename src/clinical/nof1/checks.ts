import { linearPosterior, summarise, t975, twoArmPosterior, type EffectSummary, type TPosterior } from './model.js';
import type { UsedObservation } from './washout.js';

/**
 * The checks beside the main model, each a closed-form model of its own:
 *
 * - trend: y = β₀ + β₁·[on B] + β₂·(weeks since the trial started) + ε, same
 *   reference prior p(β, σ²) ∝ 1/σ²; β₁ is B − A adjusted for a linear drift
 *   of the outcome over the trial (natural course, season, a slow carry-over);
 * - carry-over: the main model on the second half of each period only (days
 *   whose offset from the period start is at least half the period length).
 *   If a treatment still acts after the washout, the early days of the next
 *   period are contaminated and this estimate moves away from the main one;
 * - period means: the main model on one mean per period. Daily pain scores are
 *   autocorrelated; period means are nearly independent when the correlation
 *   dies out within a period, so this interval keeps its nominal coverage
 *   where the daily model's is too narrow (at the price of fewer degrees of freedom);
 * - autocorrelation: the lag-1 correlation r of the main model's residuals over
 *   consecutive days of the same period, and an approximate AR(1) adjustment
 *   of the main interval: effective sample size n·(1 − r)/(1 + r), scale
 *   multiplied by √((1 + r)/(1 − r)), ν = n_eff − 2 (r taken in [0, 0.9]).
 *
 * Two estimates "disagree" when either point estimate lies outside the
 * other's 95% credible interval.
 */

export type Check<T> = ({ readonly available: true } & T) | { readonly available: false; readonly reason: string };

export interface Comparison {
  readonly agreesWithMain: boolean;
}

export function agree(main: EffectSummary, other: EffectSummary): boolean {
  const inside = (x: number, [lo, hi]: readonly [number, number]) => x >= lo && x <= hi;
  return inside(other.meanDifference, main.credibleInterval95) && inside(main.meanDifference, other.credibleInterval95);
}

export interface TrendCheck extends EffectSummary, Comparison {
  /** Change of the outcome per week over the trial, whatever the treatment. */
  readonly trendPerWeek: { readonly estimate: number; readonly credibleInterval95: readonly [number, number] };
  /** True when the trend's 95% credible interval excludes 0. */
  readonly trendDetected: boolean;
}

export function trendCheck(used: readonly UsedObservation[], firstDay: number, lowerIsBetter: boolean, mcid: number, main: EffectSummary): Check<TrendCheck> {
  const x = used.map((o) => [1, o.treatment === 'B' ? 1 : 0, (o.day - firstDay) / 7]);
  const fit = linearPosterior(x, used.map((o) => o.value));
  if (!fit.ok) return { available: false, reason: fit.reason };
  const effect = summarise(fit.fit.coefficients[1]!, lowerIsBetter, mcid);
  const trend: TPosterior = fit.fit.coefficients[2]!;
  const half = t975(trend.df) * trend.scale;
  const interval: [number, number] = [trend.location - half, trend.location + half];
  return {
    available: true,
    ...effect,
    trendPerWeek: { estimate: trend.location, credibleInterval95: interval },
    trendDetected: interval[0] > 0 || interval[1] < 0,
    agreesWithMain: agree(main, effect),
  };
}

export interface SubsetCheck extends EffectSummary, Comparison {
  readonly observationsUsed: number;
}

export function carryOverCheck(used: readonly UsedObservation[], lowerIsBetter: boolean, mcid: number, main: EffectSummary): Check<SubsetCheck> {
  const late = used.filter((o) => o.dayInPeriod >= o.periodLength / 2);
  const fit = twoArmPosterior(
    late.filter((o) => o.treatment === 'A').map((o) => o.value),
    late.filter((o) => o.treatment === 'B').map((o) => o.value),
  );
  if (!fit.ok) return { available: false, reason: `second halves of the periods: ${fit.reason}` };
  const effect = summarise(fit.fit.difference, lowerIsBetter, mcid);
  return { available: true, ...effect, observationsUsed: late.length, agreesWithMain: agree(main, effect) };
}

export interface PeriodMean {
  readonly period: number;
  readonly treatment: 'A' | 'B';
  readonly observationsUsed: number;
  readonly mean: number;
}

export function periodMeans(used: readonly UsedObservation[]): PeriodMean[] {
  const byPeriod = new Map<number, UsedObservation[]>();
  for (const o of used) byPeriod.set(o.period, [...(byPeriod.get(o.period) ?? []), o]);
  return [...byPeriod.entries()]
    .sort(([a], [b]) => a - b)
    .map(([period, obs]) => ({ period, treatment: obs[0]!.treatment, observationsUsed: obs.length, mean: obs.reduce((s, o) => s + o.value, 0) / obs.length }));
}

export interface PeriodMeansCheck extends EffectSummary, Comparison {
  readonly periodsA: number;
  readonly periodsB: number;
  readonly degreesOfFreedom: number;
}

export function periodMeansCheck(means: readonly PeriodMean[], lowerIsBetter: boolean, mcid: number, main: EffectSummary): Check<PeriodMeansCheck> {
  const a = means.filter((m) => m.treatment === 'A').map((m) => m.mean);
  const b = means.filter((m) => m.treatment === 'B').map((m) => m.mean);
  const fit = twoArmPosterior(a, b);
  if (!fit.ok) return { available: false, reason: `period means: ${fit.reason}` };
  const effect = summarise(fit.fit.difference, lowerIsBetter, mcid);
  return { available: true, ...effect, periodsA: a.length, periodsB: b.length, degreesOfFreedom: fit.fit.difference.df, agreesWithMain: agree(main, effect) };
}

export interface AutocorrelationCheck {
  /** Lag-1 correlation of the residuals over consecutive days of the same period. */
  readonly lag1: number;
  /** How many pairs of consecutive days it is computed from. */
  readonly pairs: number;
  readonly ar1Adjusted: EffectSummary & { readonly effectiveSampleSize: number; readonly degreesOfFreedom: number };
}

export function autocorrelationCheck(
  used: readonly UsedObservation[],
  armMeans: { readonly A: number; readonly B: number },
  difference: TPosterior,
  lowerIsBetter: boolean,
  mcid: number,
): Check<AutocorrelationCheck> {
  const residual = new Map<number, number>(used.map((o) => [o.index, o.value - armMeans[o.treatment]]));
  const byDay = new Map<string, UsedObservation>();
  for (const o of used) byDay.set(`${o.period}:${o.day}`, o);
  let cross = 0;
  let left = 0;
  let right = 0;
  let pairs = 0;
  for (const o of used) {
    const next = byDay.get(`${o.period}:${o.day + 1}`);
    // With several scores on one day, only the last of that day takes part in a pair.
    if (!next || byDay.get(`${o.period}:${o.day}`) !== o) continue;
    const e0 = residual.get(o.index)!;
    const e1 = residual.get(next.index)!;
    cross += e0 * e1;
    left += e0 * e0;
    right += e1 * e1;
    pairs++;
  }
  if (pairs < 3 || !(left > 0 && right > 0)) return { available: false, reason: `needs at least 3 pairs of consecutive days with varying scores (has ${pairs})` };
  const lag1 = cross / Math.sqrt(left * right);
  const r = Math.min(Math.max(lag1, 0), 0.9);
  const inflation = (1 + r) / (1 - r);
  const n = used.length;
  const effectiveSampleSize = n / inflation;
  const df = Math.max(1, effectiveSampleSize - 2);
  const adjusted = summarise({ location: difference.location, scale: difference.scale * Math.sqrt(inflation), df }, lowerIsBetter, mcid);
  return { available: true, lag1, pairs, ar1Adjusted: { ...adjusted, effectiveSampleSize, degreesOfFreedom: df } };
}
