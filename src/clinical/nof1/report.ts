import type { EffectSummary } from './model.js';

/** The default MCID the analysis uses when the trial does not give one (from rules/knowledge/nof1-defaults.json). */
export interface Nof1Defaults {
  readonly mcid: number;
  /** Lag-1 autocorrelation from which the output warns that the independent-days interval is too narrow. */
  readonly autocorrelationWarning: number;
  /** Where the number comes from, cited in the output (`nof1-defaults@2026.1: ...`). */
  readonly source: string;
}

export const REFERENCES = [
  'Vohra S, Shamseer L, Sampson M, et al. CONSORT extension for reporting N-of-1 trials (CENT) 2015 Statement. BMJ 2015;350:h1738',
  'Kravitz RL, Schmid CH, Marois M, et al. Effect of mobile device-supported single-patient multi-crossover trials on treatment of chronic musculoskeletal pain (PREEMPT). JAMA Intern Med 2018;178(10):1368-1377',
  'Gelman A, Carlin JB, Stern HS, et al. Bayesian Data Analysis, 3rd ed., sections 3.2-3.3 and 14.2 (normal models with the noninformative prior p(μ, σ²) ∝ 1/σ²)',
] as const;

/** What the output's `model` says: the model, its prior and how the numbers were computed. */
export function describeModel(df: number, scale: number, residualSd: number, washoutDays: number) {
  return {
    name: 'two-arm normal model with a common unknown variance (closed form)',
    likelihood: 'each used daily score y ~ Normal(μ_A, σ²) on A and Normal(μ_B, σ²) on B, independent',
    prior: 'p(μ_A, μ_B, σ²) ∝ 1/σ² (Jeffreys-type reference prior: flat on both means, no prior belief about either treatment)',
    posterior: 'μ_B − μ_A | y ~ Student-t(ν = n_A + n_B − 2, location ȳ_B − ȳ_A, scale s·√(1/n_A + 1/n_B)), s² the pooled within-arm variance; the 95% credible interval equals the pooled two-sample t interval',
    degreesOfFreedom: df,
    posteriorScale: scale,
    residualSd,
    washout: `observations on the first ${washoutDays} day(s) of each period that starts a switch of treatment are excluded (listed in observationsExcluded), as are observations outside every period`,
    probabilities: 'probabilityBBetter = P(μ_B − μ_A < 0) when lower is better, else P(> 0); probabilityClinicallyImportant = P(μ_B − μ_A ≤ −MCID) when lower is better, else P(≥ MCID)',
    trendCheck: 'checks.trend: y = β₀ + β₁·[on B] + β₂·weeks + ε with p(β, σ²) ∝ 1/σ²; β₁ is B − A adjusted for a linear drift',
    carryOverCheck: 'checks.carryOver: the main model on the second half of each period only',
    autocorrelation:
      'the main model treats days as independent; daily pain is usually autocorrelated, which makes its interval too narrow. Sensitivity analyses: checks.periodMeans (the same model on one mean per period, which keeps its nominal coverage under within-period autocorrelation) and checks.autocorrelation (lag-1 residual correlation r and an approximate AR(1) adjustment: effective sample size n(1 − r)/(1 + r))',
    disagreement: 'a check disagrees with the main estimate when either point estimate lies outside the other 95% credible interval',
    computation: 'Student-t CDF from the regularised incomplete beta (continued fraction, modified Lentz; log-gamma by Lanczos), quantiles by safeguarded Newton steps; no random numbers; numbers rounded to 6 decimals',
    references: REFERENCES,
  };
}

function percent(p: number): string {
  if (p >= 0.995) return 'more than 99%';
  if (p < 0.005) return 'less than 1%';
  return `${Math.round(p * 100)}%`;
}

function two(x: number): string {
  const r = Math.round(x * 100) / 100;
  return (r === 0 ? 0 : r).toFixed(2);
}

/** One paragraph for the clinician and the patient. */
export function interpret(treatments: { readonly A: string; readonly B: string }, outcome: string, lowerIsBetter: boolean, mcid: number, e: EffectSummary): string {
  const d = e.meanDifference;
  const direction = Math.abs(d) < 0.005 ? `was on average the same on B (${treatments.B}) as on A (${treatments.A})` : `was on average ${two(Math.abs(d))} ${d < 0 ? 'lower' : 'higher'} on B (${treatments.B}) than on A (${treatments.A})`;
  const better = lowerIsBetter ? 'lower' : 'higher';
  const subject = outcome.charAt(0).toUpperCase() + outcome.slice(1);
  return [
    `${subject} ${direction}; 95% credible interval for B minus A: ${two(e.credibleInterval95[0])} to ${two(e.credibleInterval95[1])} (${better} is better).`,
    `Probability that B is better than A: ${percent(e.probabilityBBetter)}; that it is better by at least the minimal clinically important difference of ${mcid}: ${percent(e.probabilityClinicallyImportant)}.`,
    "These numbers describe this patient's scores during the trial, under the model's assumptions (see warnings). They are a basis for deciding together, not a promise of relief.",
  ].join(' ');
}

/** Every non-integer number rounded to 6 decimals (and −0 written as 0), so that the printed digits are stable. */
export function roundDeep<T>(value: T): T {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Number.isInteger(value)) return (Object.is(value, -0) ? 0 : value) as T;
    const r = Math.round(value * 1e6) / 1e6;
    return (r === 0 ? 0 : r) as T;
  }
  if (Array.isArray(value)) return value.map((v) => roundDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)])) as T;
  }
  return value;
}
