import type { GasScore, GoalRecord } from './read.js';
import { gasTScore, roundT } from './scoring.js';
import type { Rater } from './tables.js';
import { isoDay } from '../dates.js';

/**
 * What the goals say over time: per active GAS goal its latest level, and the
 * combined Kiresuk-Sherman T-score per rater from the latest follow-up of each
 * goal (a baseline alone gives no T-score; a goal without a follow-up by a
 * rater is left out of that rater's score, and the number scored is said).
 */
const FOLLOW_UP_RATERS = ['practitioner', 'patient', 'caregiver'] as const satisfies readonly Rater[];
export type FollowUpRater = (typeof FOLLOW_UP_RATERS)[number];

export const RATER_WORDS: Readonly<Record<Rater, string>> = { baseline: 'baseline', practitioner: 'clinician', patient: 'patient', caregiver: 'caregiver' };

export interface RaterScore {
  readonly rater: FollowUpRater;
  readonly tScore: number;
  readonly scored: number;
  readonly goals: number;
  /** The latest follow-up counted. */
  readonly date: Date;
}

export interface GoalView {
  readonly goal: GoalRecord;
  readonly latest: GasScore | undefined;
  readonly history: readonly GasScore[];
}


/** The latest score of a goal by a rater at or before `at`. */
function latestBy(scores: readonly GasScore[], ref: string, rater: Rater, at: Date | undefined): GasScore | undefined {
  return scores.filter((s) => s.goalRef === ref && s.rater === rater && (!at || s.date <= at)).at(-1);
}

/** The T-score of `goals` by one rater from each goal's latest follow-up at or before `at` (undefined when none was scored). */
function raterScore(goals: readonly GoalRecord[], scores: readonly GasScore[], rater: FollowUpRater, rho: number, at?: Date, after?: Date): RaterScore | undefined {
  const latest = goals.flatMap((g) => {
    const s = latestBy(scores, g.ref, rater, at);
    return s ? [{ goal: g, score: s }] : [];
  });
  if (!latest.length) return undefined;
  const date = new Date(Math.max(...latest.map((l) => l.score.date.getTime())));
  if (after && date <= after) return undefined;
  const t = gasTScore(latest.map((l) => ({ level: l.score.level, weight: l.goal.weight })), rho)!;
  return { rater, tScore: roundT(t), scored: latest.length, goals: goals.length, date };
}

export function gasPicture(goals: readonly GoalRecord[], scores: readonly GasScore[], rho: number) {
  const active = goals.filter((g) => g.gas && g.active);
  const views: GoalView[] = active.map((g) => {
    const history = scores.filter((s) => s.goalRef === g.ref);
    return { goal: g, latest: history.at(-1), history };
  });
  const byRater = FOLLOW_UP_RATERS.flatMap((r) => raterScore(active, scores, r, rho) ?? []);
  // The T-score after each day a rater scored, for the app's chart.
  const series = FOLLOW_UP_RATERS.flatMap((rater) => {
    const days = [...new Set(scores.filter((s) => s.rater === rater && active.some((g) => g.ref === s.goalRef)).map((s) => isoDay(s.date)))];
    return days.flatMap((day) => {
      const r = raterScore(active, scores, rater, rho, new Date(`${day}T23:59:59.999Z`));
      return r ? [{ rater, day, tScore: r.tScore, scored: r.scored }] : [];
    });
  });
  return { views, byRater, series };
}

/** "T-score 43.9 by the clinician (2 of 2 goals, latest 2026-05-20)". */
export function raterText(r: RaterScore): string {
  return `T-score ${r.tScore.toFixed(1)} by the ${RATER_WORDS[r.rater]} (${r.scored} of ${r.goals} goal${r.goals === 1 ? '' : 's'} scored, latest ${isoDay(r.date)})`;
}

/**
 * The goals a justification rests on, and whether their T-score has fallen
 * below 50 since it was written: for each rater, the score from follow-ups
 * after the justification, against the score at the time (if any).
 */
export function linkedGoalsStatus(linked: readonly GoalRecord[], scores: readonly GasScore[], since: Date, rho: number) {
  const now = FOLLOW_UP_RATERS.flatMap((r) => raterScore(linked, scores, r, rho) ?? []);
  const fallen = FOLLOW_UP_RATERS.flatMap((r) => {
    const after = raterScore(linked, scores, r, rho, undefined, since);
    if (!after || after.tScore >= 50) return [];
    const before = raterScore(linked, scores, r, rho, since);
    return [{ rater: r, after, before }];
  });
  return { now, fallen };
}
