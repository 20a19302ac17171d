import type { PatientContext } from '../patient-context.js';
import { gasPicture, RATER_WORDS } from './picture.js';
import { readGasScores, readGoals } from './read.js';
import type { GasTable } from './tables.js';

/**
 * What the SMART app shows and writes for goals, computed by the service so
 * the app's numbers are the cards' numbers: every goal with its levels and
 * score history, the T-score per rater over time, the templates, and the codes
 * a new PCO GAS Goal or score Observation is written with (from the table, so
 * the app holds no code of its own).
 */
export function goalsForApp(context: PatientContext, t: GasTable, version: string) {
  const goals = readGoals(context.goals, t);
  const scores = readGasScores(context.observations, t);
  const picture = gasPicture(goals, scores, t.rho);
  return {
    goals: goals.map((g) => ({
      ref: g.ref,
      text: g.text,
      gas: g.gas,
      active: g.active,
      goalsOfCare: g.goalsOfCare,
      due: g.due,
      weight: g.weight,
      priority: g.priority,
      levels: g.levels,
      history: scores.filter((s) => s.goalRef === g.ref).map((s) => ({ rater: s.rater, raterText: RATER_WORDS[s.rater], level: s.level, display: s.display, date: s.date.toISOString() })),
    })),
    byRater: picture.byRater.map((r) => ({ ...r, raterText: RATER_WORDS[r.rater], date: r.date.toISOString() })),
    series: picture.series.map((s) => ({ ...s, raterText: RATER_WORDS[s.rater] })),
    templates: t.templates,
    codes: {
      extensionUrl: t.extensionUrl,
      goalProfile: t.goalProfile,
      scoreProfile: t.scoreProfile,
      targetMeasure: t.targetMeasure,
      levels: t.levels,
      scoreCodes: t.scoreCodes,
      goalsOfCareCategory: t.goalsOfCareCategory,
    },
    rho: t.rho,
    weighting: t.weighting,
    table: version,
  };
}
