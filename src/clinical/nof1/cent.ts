import type { Observation } from 'fhir/r4';
import type { Nof1Result } from './analyze.js';
import { analyzeTrial } from './analyze.js';
import type { TrialDesign } from './careplan.js';
import { dailySeries, observationDay, trialInputFrom } from './careplan-read.js';
import type { Nof1DefaultsTable } from './defaults.js';
import { REFERENCES, type Nof1Defaults } from './report.js';
import { dayCount, type Arm, type TrialInput, type TrialProblem } from './trial.js';

/**
 * The data of an N-of-1 trial report laid out after CENT 2015 (BMJ
 * 2015;350:h1738): design (items 4-6), randomisation (8-10), blinding (11),
 * outcomes (6), periods as run and why the trial ended (14), adherence and
 * missing days (15-16), the estimate with its interval and probabilities
 * (17), harms (19), and the daily series for the plot (17). The app renders
 * it; the numbers come from `analyzeTrial`. Pure.
 */

export interface CentReport {
  readonly framing: string;
  readonly design: {
    readonly arms: Readonly<Record<Arm, { readonly label: string; readonly kind: string }>>;
    readonly pairs: number;
    readonly periodDays: number | null;
    readonly washoutDays: number;
    readonly blinded: boolean | null;
    readonly blindingNote: string;
    readonly primaryOutcome: string;
    readonly secondaryOutcomes: readonly string[];
    readonly mcid: number | null;
    readonly stoppingRules: readonly string[];
    readonly separateDispensing: boolean | null;
  };
  readonly randomisation: { readonly seed: number | null; readonly algorithm: string; readonly order: string } | null;
  readonly status: string;
  readonly earlyStop: TrialDesign['earlyStop'] | null;
  readonly periods: readonly { readonly index: number; readonly arm: Arm; readonly start: string; readonly end: string; readonly days: number; readonly daysScored: number; readonly missingDays: number }[];
  readonly missingDays: number;
  /** Primary-outcome scores outside the outcome's scale (recording errors), not analysed. */
  readonly scoresOutOfRange: readonly { readonly date: string; readonly value: number }[];
  /** Days the patient said the trial treatment was taken, of the days answered; null when never asked. */
  readonly adherence: { readonly taken: number; readonly answered: number; readonly percent: number | null };
  readonly sideEffects: readonly { readonly name: string; readonly meanA: number | null; readonly meanB: number | null; readonly days: number }[];
  readonly seriousAdverseEvents: readonly { readonly date: string; readonly text: string }[];
  /** Whether the source records side effects, serious adverse events and secondary outcomes at all (a trial file does not: unknown, not none). */
  readonly safetyRecorded: boolean;
  readonly series: readonly { readonly date: string; readonly value: number; readonly arm: Arm | null; readonly excluded: boolean }[];
  readonly analysis: Nof1Result | null;
  readonly analysisProblems: readonly TrialProblem[];
  readonly references: readonly string[];
}

const FRAMING =
  "An N-of-1 trial is a way for the patient and the clinician to decide together which treatment suits this patient, with evidence from the patient's own days. It is not a promise of relief: in PREEMPT (Kravitz et al. 2018), such trials did not reduce pain interference more than usual care, but they improved shared decisions about medicines.";

/** An Observation's codings; none when the element is not a list (records from elsewhere may hold anything). */
const codings = (o: Observation) => (Array.isArray(o?.code?.coding) ? o.code.coding.filter((c) => typeof c === 'object' && c !== null) : []);
const round2 = (x: number) => Math.round(x * 100) / 100;
const mean = (xs: readonly number[]) => (xs.length ? round2(xs.reduce((s, x) => s + x, 0) / xs.length) : null);

function armOn(periods: TrialInput['periods'], date: string): Arm | null {
  return periods.find((p) => p.start <= date && date <= p.end)?.treatment ?? null;
}

function periodRows(input: TrialInput, scored: ReadonlySet<string>, lastDay: string | undefined) {
  return input.periods.map((p, index) => {
    // A period still running counts its days up to today only. Scored days are counted from the scores, not by walking
    // the calendar: a period's length comes from the request and may be absurd.
    const endDate = lastDay && lastDay < p.end ? lastDay : p.end;
    const days = endDate < p.start ? 0 : dayCount(p.start, endDate);
    let daysScored = 0;
    for (const d of scored) if (d >= p.start && d <= endDate) daysScored++;
    return { index, arm: p.treatment, start: p.start, end: p.end, days, daysScored, missingDays: days - daysScored };
  });
}

/** The report of a trial recorded in FHIR: the design from the CarePlan, the daily Observations tied to it. */
export function centFromFhir(design: TrialDesign, observations: readonly Observation[], table: Nof1DefaultsTable, today: string, defaults: Nof1Defaults): CentReport {
  const primary = [table.outcomes.primary, ...table.outcomes.alternativePrimary, ...table.outcomes.secondary].find((o) => o.system === design.primaryOutcome.system && o.code === design.primaryOutcome.code);
  const range = primary ? ([primary.min, primary.max] as const) : undefined;
  const input = trialInputFrom(design, observations, primary?.lowerIsBetter ?? true, primary?.key ?? design.primaryOutcome.display ?? 'outcome', range);
  const base = centFromInput(input, today, defaults);
  const outOfRange = range ? dailySeries(observations, design.primaryOutcome).filter((o) => o.value < range[0] || o.value > range[1]) : [];
  const byArm = (code: { system: string; code: string }) => {
    const s = dailySeries(observations, { system: code.system, code: code.code });
    const on = (arm: Arm) => s.filter((o) => armOn(input.periods, o.date) === arm).map((o) => o.value);
    return { meanA: mean(on('A')), meanB: mean(on('B')), days: s.length };
  };
  // One adherence answer per day, the last one entered (as for the daily scores).
  const takenOn = new Map<string, boolean>();
  for (const o of observations) {
    const day = observationDay(o);
    if (day && typeof o.valueBoolean === 'boolean' && codings(o).some((c) => c.system === table.outcomes.adherence.system && c.code === table.outcomes.adherence.code)) takenOn.set(day, o.valueBoolean);
  }
  const adherence = [...takenOn.values()];
  const sae = table.outcomes.seriousAdverseEvent;
  const taken = adherence.filter(Boolean).length;
  return {
    ...base,
    design: {
      arms: { A: { label: design.arms.A.label, kind: design.arms.A.kind }, B: { label: design.arms.B.label, kind: design.arms.B.kind } },
      pairs: design.pairs,
      periodDays: design.periodDays,
      washoutDays: design.washoutDays,
      blinded: design.blinded,
      blindingNote: design.blindingNote,
      primaryOutcome: design.primaryOutcome.display ?? design.primaryOutcome.code ?? 'outcome',
      secondaryOutcomes: design.secondaryOutcomes.map((c) => c.display ?? c.code ?? ''),
      mcid: design.mcid,
      stoppingRules: design.stoppingRules,
      separateDispensing: design.separateDispensing,
    },
    randomisation: { seed: design.randomisation.seed >= 0 ? design.randomisation.seed : null, algorithm: design.randomisation.algorithm, order: design.randomisation.order },
    status: design.earlyStop ? `stopped early on ${design.earlyStop.date}: ${design.earlyStop.reason.display ?? design.earlyStop.reason.code}` : design.status === 'completed' ? 'completed as planned' : 'running',
    earlyStop: design.earlyStop ?? null,
    scoresOutOfRange: outOfRange,
    adherence: { taken, answered: adherence.length, percent: adherence.length ? Math.round((100 * taken) / adherence.length) : null },
    sideEffects: design.secondaryOutcomes.map((c) => ({ name: c.display ?? c.code ?? '', ...byArm({ system: c.system ?? '', code: c.code ?? '' }) })),
    safetyRecorded: true,
    seriousAdverseEvents: [
      ...observations
        .filter((o) => codings(o).some((c) => c.system === sae.system && c.code === sae.code))
        .map((o) => ({ date: observationDay(o) ?? 'date unknown', text: typeof o.valueString === 'string' && o.valueString ? o.valueString : 'serious adverse event (no description)' })),
    ].sort((a, b) => a.date.localeCompare(b.date)),
  };
}

/** The report of a trial given as plain JSON (the CLI's input): what the JSON holds, the rest said as not recorded. */
export function centFromInput(input: TrialInput, today: string | undefined, defaults: Nof1Defaults): CentReport {
  const result = analyzeTrial(input, defaults);
  const excluded = new Set(result.ok ? result.value.observationsExcluded.map((e) => e.date) : []);
  const scored = new Set(input.observations.map((o) => o.date));
  const periods = periodRows(input, scored, today);
  const armCount = (arm: Arm) => input.periods.filter((p) => p.treatment === arm).length;
  return {
    framing: FRAMING,
    design: {
      arms: { A: { label: input.treatments.A, kind: 'not recorded' }, B: { label: input.treatments.B, kind: 'not recorded' } },
      pairs: Math.min(armCount('A'), armCount('B')),
      periodDays: null,
      washoutDays: input.washoutDays,
      blinded: null,
      blindingNote: '',
      primaryOutcome: input.outcome.name,
      secondaryOutcomes: [],
      mcid: input.outcome.mcid ?? defaults?.mcid ?? null,
      stoppingRules: [],
      separateDispensing: null,
    },
    randomisation: null,
    status: 'not recorded',
    earlyStop: null,
    periods,
    missingDays: periods.reduce((s, p) => s + p.missingDays, 0),
    scoresOutOfRange: [],
    adherence: { taken: 0, answered: 0, percent: null },
    sideEffects: [],
    seriousAdverseEvents: [],
    safetyRecorded: false,
    series: input.observations.map((o) => ({ date: o.date, value: o.value, arm: armOn(input.periods, o.date), excluded: excluded.has(o.date) || armOn(input.periods, o.date) === null })),
    analysis: result.ok ? result.value : null,
    analysisProblems: result.ok ? [] : result.problems,
    references: REFERENCES,
  };
}

