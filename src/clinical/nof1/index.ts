/**
 * N-of-1 trials (issue 22): the pure analysis core. One patient alternates two
 * treatments in randomised pairs of periods and scores the outcome daily; this
 * module says how much better B was than A for that patient, with how much
 * certainty, and what could have misled the comparison.
 */
export { analyzeTrial, type Nof1Result } from './analyze.js';
export { analysisDefaults, NOF1_DEFAULTS_TABLE, parseNof1DefaultsTable, type Nof1DefaultsTable } from './defaults.js';
export { linearPosterior, summarise, twoArmPosterior, type EffectSummary, type TPosterior } from './model.js';
export { mulberry32, normalFrom, planPeriods, randomiseBlocks, type Plan, type PlanOptions, type Randomisation } from './randomise.js';
export type { Nof1Defaults } from './report.js';
export { incompleteBeta, logGamma, studentTCdf, studentTQuantile } from './student-t.js';
export { parseTrial, type Trial, type TrialInput, type TrialProblem } from './trial.js';
export { selectObservations, type ExcludedObservation, type UsedObservation } from './washout.js';
