import type { ExceptionOnFile } from '../exceptions.js';
import type { PainKnowledge } from '../knowledge.js';
import type { PatientContext } from '../patient-context.js';
import { gasPicture, linkedGoalsStatus, RATER_WORDS, raterText, type RaterScore } from '../goals/picture.js';
import { readGasScores, readGoals } from '../goals/read.js';
import { mmeScopeExclusions } from '../safeguards.js';
import type { PatientFacts } from './catalog.js';
import { isoDay } from '../dates.js';

/**
 * Personal goals (issue 21): the active Goal Attainment Scaling goals with
 * their latest level, the combined T-score per rater, goals of care for
 * patients in palliative or hospice care, and the goals a dose justification
 * rests on. Information only: no goal fact ever raises an alert.
 */
const longDay = (d: Date) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function goalPatientFacts(context: PatientContext, k: PainKnowledge, mmeException: ExceptionOnFile | undefined): Partial<PatientFacts> {
  const t = k.gas.table;
  const goals = readGoals(context.goals, t);
  const scores = readGasScores(context.observations, t);
  const picture = gasPicture(goals, scores, t.rho);
  const last = [...picture.byRater].sort((a, b) => b.date.getTime() - a.date.getTime())[0];
  const by = (rater: RaterScore['rater']) => picture.byRater.find((r) => r.rater === rater)?.tScore ?? null;
  const count = picture.views.length;
  const tText = picture.byRater.length ? picture.byRater.map(raterText).join('; ') : count ? 'No follow-up yet (baseline only): no T-score.' : '';
  const scope = mmeScopeExclusions(
    { patient: context.patient, conditions: context.conditions, procedures: context.procedures, now: context.now, conditionWithoutStatusRecentDays: k.mme.safety.data.conditionWithoutStatusRecentDays },
    k.valueSets,
  );
  return {
    'goals.known': !context.unavailable.some((u) => u.key === 'goals'),
    'goals.gasCount': count,
    'goals.gasGoals': picture.views.map((v) => ({
      goal: v.goal.text,
      expected: v.goal.levels.find((l) => l.value === 0)?.text ?? '',
      latest: v.latest ? `${v.latest.display} (${v.latest.level > 0 ? '+' : ''}${v.latest.level})` : 'not scored yet',
      date: v.latest ? isoDay(v.latest.date) : '',
      rater: v.latest ? RATER_WORDS[v.latest.rater] : '',
      due: v.goal.due ?? '',
    })),
    'goals.tScore': last?.tScore ?? null,
    'goals.tScorePractitioner': by('practitioner'),
    'goals.tScorePatient': by('patient'),
    'goals.tScoreText': tText,
    'goals.summaryText': `Personal goals: ${count} active${last ? `; ${picture.byRater.map((r) => `T-score ${r.tScore.toFixed(1)} by the ${RATER_WORDS[r.rater]}`).join(', ')}` : count ? '; baseline only, no T-score yet' : ''}`,
    'goals.plainGoals': goals.filter((g) => !g.gas && g.active).map((g) => g.text),
    'goals.seriousIllness': scope.some((s) => s.kind === 'palliative' || s.kind === 'hospice'),
    'goals.hasGoalsOfCare': goals.some((g) => g.goalsOfCare && g.active),
    ...linkedFacts(mmeException, goals, scores, t.rho),
  };
}

/** The goals a dose justification rests on: named as its evidence, or Goals that address it (the form's goals). */
function linkedFacts(e: ExceptionOnFile | undefined, goals: ReturnType<typeof readGoals>, scores: ReturnType<typeof readGasScores>, rho: number): Partial<PatientFacts> {
  const linked = e ? goals.filter((g) => (e.goalRefs ?? []).includes(g.ref) || g.addresses.includes(e.id)) : [];
  if (!e || !linked.length) return { 'exceptionOnFile.mmeGoalsNote': '', 'exceptionOnFile.mmeGoalsTScore': null, 'exceptionOnFile.mmeGoalsFellBelow50': false };
  const status = linkedGoalsStatus(linked.filter((g) => g.gas), scores, e.createdAt, rho);
  const latest = [...status.now].sort((a, b) => b.date.getTime() - a.date.getTime())[0];
  const names = linked.map((g) => g.text).join('; ');
  const scoreText = status.now.length ? status.now.map(raterText).join('; ') : 'no GAS follow-up score yet';
  const fallen = status.fallen
    .map((f) => `the ${RATER_WORDS[f.rater]}'s T-score is ${f.after.tScore.toFixed(1)}, below 50 since the justification of ${longDay(e.createdAt)}${f.before ? ` (it was ${f.before.tScore.toFixed(1)})` : ''}`)
    .join('; ');
  return {
    'exceptionOnFile.mmeGoalsNote': `; functional goals it rests on: ${names} (${scoreText})${fallen ? `. For the prescriber: ${fallen}. The benefit side of the balance has changed` : ''}`,
    'exceptionOnFile.mmeGoalsTScore': latest?.tScore ?? null,
    'exceptionOnFile.mmeGoalsFellBelow50': status.fallen.length > 0,
  };
}
