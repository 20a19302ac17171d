import { studentTCdf, studentTQuantile } from './student-t.js';

/**
 * The closed-form Bayesian models of the N-of-1 analysis.
 *
 * Two arms, common unknown variance. Daily scores y are independent normal,
 * y ~ N(μ_A, σ²) on A and N(μ_B, σ²) on B. Prior: p(μ_A, μ_B, σ²) ∝ 1/σ²
 * (the Jeffreys-type reference prior, the limit of a normal–inverse-gamma
 * prior with no prior information). Posterior, with n = n_A + n_B, ν = n − 2
 * and the pooled variance s² = (Σ_A (y − ȳ_A)² + Σ_B (y − ȳ_B)²) / ν:
 *   σ² | y ~ scaled inverse-χ²(ν, s²),
 *   δ = μ_B − μ_A | y ~ Student-t(ν, location ȳ_B − ȳ_A, scale s·√(1/n_A + 1/n_B)).
 * Its 95% credible interval equals the classical pooled two-sample t interval.
 *
 * Linear model: y = Xβ + ε, ε ~ N(0, σ²) independent, prior p(β, σ²) ∝ 1/σ².
 * With p columns and ν = n − p, s² = ‖y − Xβ̂‖² / ν, each coefficient has
 * the marginal posterior β_j | y ~ Student-t(ν, β̂_j, s·√((XᵀX)⁻¹_jj)).
 */

/** A Student-t posterior for a difference on the outcome scale. */
export interface TPosterior {
  readonly location: number;
  readonly scale: number;
  readonly df: number;
}

export type Fit<T> = { readonly ok: true; readonly fit: T } | { readonly ok: false; readonly reason: string };

export interface TwoArmFit {
  readonly nA: number;
  readonly nB: number;
  readonly meanA: number;
  readonly meanB: number;
  /** Pooled residual standard deviation s. */
  readonly residualSd: number;
  readonly difference: TPosterior;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function sumOfSquares(xs: readonly number[], m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return s;
}

/** The posterior of μ_B − μ_A from the scores on A and on B. */
export function twoArmPosterior(a: readonly number[], b: readonly number[]): Fit<TwoArmFit> {
  if (a.length === 0 || b.length === 0) return { ok: false, reason: `needs at least one value on each arm (A ${a.length}, B ${b.length})` };
  const df = a.length + b.length - 2;
  if (df < 1) return { ok: false, reason: 'needs at least 3 values in all, to estimate the day-to-day variation' };
  const meanA = mean(a);
  const meanB = mean(b);
  const s2 = (sumOfSquares(a, meanA) + sumOfSquares(b, meanB)) / df;
  if (!(s2 > 0)) return { ok: false, reason: 'the values do not vary within either arm, so the day-to-day variation cannot be estimated' };
  const residualSd = Math.sqrt(s2);
  return {
    ok: true,
    fit: { nA: a.length, nB: b.length, meanA, meanB, residualSd, difference: { location: meanB - meanA, scale: residualSd * Math.sqrt(1 / a.length + 1 / b.length), df } },
  };
}

export interface LinearFit {
  readonly coefficients: readonly TPosterior[];
  readonly residualSd: number;
  readonly residuals: readonly number[];
}

/** Inverse of a small symmetric positive-definite matrix by Gauss–Jordan with partial pivoting; undefined when singular. */
function invert(m: readonly (readonly number[])[]): number[][] | undefined {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  const scale = Math.max(...m.map((row, i) => Math.abs(row[i]!)), 1e-300);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-10 * scale) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    for (let j = 0; j < 2 * n; j++) a[col]![j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      if (f === 0) continue;
      for (let j = 0; j < 2 * n; j++) a[r]![j]! -= f * a[col]![j]!;
    }
  }
  return a.map((row) => row.slice(n));
}

/** The posterior of the coefficients of y = Xβ + ε (rows of X are observations). */
export function linearPosterior(x: readonly (readonly number[])[], y: readonly number[]): Fit<LinearFit> {
  const n = y.length;
  const p = x[0]?.length ?? 0;
  const df = n - p;
  if (df < 1) return { ok: false, reason: `needs more than ${p} values (has ${n})` };
  const xtx = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => x.reduce((s, row) => s + row[i]! * row[j]!, 0)));
  const inv = invert(xtx);
  if (!inv) return { ok: false, reason: 'the model cannot separate its terms with these dates (for example, time and treatment go together)' };
  const xty = Array.from({ length: p }, (_, i) => x.reduce((s, row, r) => s + row[i]! * y[r]!, 0));
  const beta = inv.map((row) => row.reduce((s, v, j) => s + v * xty[j]!, 0));
  const residuals = x.map((row, r) => y[r]! - row.reduce((s, v, j) => s + v * beta[j]!, 0));
  const s2 = sumOfSquares(residuals, 0) / df;
  if (!(s2 > 0)) return { ok: false, reason: 'the model fits the values exactly, so the day-to-day variation cannot be estimated' };
  const s = Math.sqrt(s2);
  return { ok: true, fit: { coefficients: beta.map((b, j) => ({ location: b, scale: s * Math.sqrt(inv[j]![j]!), df })), residualSd: s, residuals } };
}

const quantiles = new Map<number, number>();

/** The 0.975 quantile of Student-t(ν), memoised (the same ν gives the same digits). */
export function t975(df: number): number {
  let q = quantiles.get(df);
  if (q === undefined) {
    q = studentTQuantile(0.975, df);
    if (quantiles.size < 10_000) quantiles.set(df, q);
  }
  return q;
}

export interface EffectSummary {
  /** Posterior mean (and median) of B − A, on the outcome scale. */
  readonly meanDifference: number;
  readonly credibleInterval95: readonly [number, number];
  /** P(B is better than A | data): P(δ < 0) when lower is better, else P(δ > 0). */
  readonly probabilityBBetter: number;
  /** P(B is better by at least the MCID | data): P(δ ≤ −MCID) when lower is better, else P(δ ≥ MCID). */
  readonly probabilityClinicallyImportant: number;
}

/** The numbers a clinician reads, from a t posterior of B − A. */
export function summarise(d: TPosterior, lowerIsBetter: boolean, mcid: number): EffectSummary {
  const half = t975(d.df) * d.scale;
  const improvement = (threshold: number) =>
    lowerIsBetter ? studentTCdf((-threshold - d.location) / d.scale, d.df) : studentTCdf((d.location - threshold) / d.scale, d.df);
  return {
    meanDifference: d.location,
    credibleInterval95: [d.location - half, d.location + half],
    probabilityBBetter: improvement(0),
    probabilityClinicallyImportant: improvement(mcid),
  };
}
