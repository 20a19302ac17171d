import type { CarePlan, Coding, Extension, Observation } from 'fhir/r4';
import { NOF1_CATEGORY, NOF1_PERIOD_EXTENSION, NOF1_STOP_EXTENSION, NOF1_TRIAL_EXTENSION, type ArmDesign, type EarlyStop, type PeriodDesign, type TrialDesign } from './careplan.js';
import { dayNumber, type Arm, type TrialInput, type TrialProblem } from './trial.js';
import { patientIdOf } from '../../knowledge/references.js';

/**
 * Reading the representation of careplan.ts back: a CarePlan to the trial
 * design, and the CarePlan with its daily Observations to the analysis input
 * (`analyzeTrial`). Anything unreadable is a problem with its place, never a
 * guess.
 */

const list = <T>(x: readonly T[] | undefined): readonly T[] => (Array.isArray(x) ? x : []);
/** Present and an object (typed records from elsewhere may hold anything). */
function isObject<T>(x: T): x is Exclude<T, null | undefined> {
  return typeof x === 'object' && x !== null;
}

export function isNof1CarePlan(cp: CarePlan): boolean {
  return list(cp?.category).some((c) => isObject(c) && list(c.coding).some((x) => isObject(x) && x.system === NOF1_CATEGORY.system && x.code === NOF1_CATEGORY.code));
}

/** Sub-extensions by url; anything that is not an extension object is ignored (records come from other systems). */
const sub = (e: Extension | undefined, url: string) => list(e?.extension).filter((x) => isObject(x) && x.url === url);
const one = (e: Extension | undefined, url: string) => sub(e, url)[0];
/** A string value, or undefined when the element holds something else. */
const text = (x: unknown) => (typeof x === 'string' && x.trim() ? x : undefined);

function armOf(trial: Extension, key: Arm): ArmDesign | undefined {
  const label = text(one(trial, `arm${key}`)?.valueString);
  if (!label) return undefined;
  const kind = one(trial, `arm${key}Kind`)?.valueCode === 'drug' ? 'drug' : 'non-drug';
  const med = one(trial, `arm${key}Medication`)?.valueCodeableConcept;
  const dosage = one(trial, `arm${key}Dosage`)?.valueDosage;
  const q = list(dosage?.doseAndRate)[0]?.doseQuantity;
  const coding = list(med?.coding)[0];
  return {
    label,
    kind,
    ...(isObject(med) ? { medication: { ...(text(coding?.system) ? { system: coding!.system } : {}), ...(text(coding?.code) ? { code: coding!.code } : {}), display: text(med.text) ?? text(coding?.display) ?? label } } : {}),
    ...(typeof q?.value === 'number' && typeof dosage?.timing?.repeat?.frequency === 'number'
      ? { dose: { amount: q.value, unit: q.unit ?? 'unit', timesPerDay: dosage.timing.repeat.frequency, ...(dosage.asNeededBoolean ? { asNeeded: true } : {}) } }
      : {}),
  };
}

export type ReadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly TrialProblem[] };

/** The design recorded on a trial CarePlan; a CarePlan of the wrong shape is a problem, never an exception. */
export function readTrialCarePlan(cp: CarePlan): ReadResult<TrialDesign> {
  try {
    return readDesign(cp);
  } catch {
    return { ok: false, problems: [{ path: 'carePlan', message: 'has elements of the wrong type: it is not a readable FHIR R4 CarePlan' }] };
  }
}

function readDesign(cp: CarePlan): ReadResult<TrialDesign> {
  const problems: TrialProblem[] = [];
  if (!isObject(cp) || cp.resourceType !== 'CarePlan') return { ok: false, problems: [{ path: 'carePlan', message: 'must be a CarePlan' }] };
  if (!isNof1CarePlan(cp)) problems.push({ path: 'carePlan.category', message: `is not an N-of-1 trial (category ${NOF1_CATEGORY.system}#${NOF1_CATEGORY.code})` });
  const trial = list(cp.extension).find((e) => isObject(e) && e.url === NOF1_TRIAL_EXTENSION);
  if (!trial) problems.push({ path: 'carePlan.extension', message: `has no trial design (${NOF1_TRIAL_EXTENSION})` });
  const patientId = patientIdOf(text(cp.subject?.reference) ?? '');
  if (!patientId) problems.push({ path: 'carePlan.subject', message: 'must reference the Patient' });
  if (problems.length) return { ok: false, problems };
  const A = armOf(trial!, 'A');
  const B = armOf(trial!, 'B');
  if (!A || !B) return { ok: false, problems: [{ path: 'carePlan.extension', message: 'names no treatment A or B' }] };
  const int = (url: string) => {
    const v = one(trial, url)?.valueInteger;
    return Number.isInteger(v) && v! >= 0 ? v : undefined;
  };
  const periods: PeriodDesign[] = [];
  list(cp.activity).forEach((a, i) => {
    const pe = isObject(a) ? list(a.extension).find((e) => isObject(e) && e.url === NOF1_PERIOD_EXTENSION) : undefined;
    const arm = one(pe, 'arm')?.valueCode;
    const start = text(one(pe, 'start')?.valueDate);
    const end = text(one(pe, 'end')?.valueDate);
    if (!pe || (arm !== 'A' && arm !== 'B') || !start || !end || dayNumber(start) === undefined || dayNumber(end) === undefined) {
      problems.push({ path: `carePlan.activity[${i}]`, message: `has no readable period (${NOF1_PERIOD_EXTENSION} with arm A or B, start and end dates)` });
      return;
    }
    const index = one(pe, 'index')?.valueInteger;
    periods.push({
      index: Number.isInteger(index) && index! >= 0 ? index! : i,
      arm,
      start,
      end,
      dispensedSeparately: one(pe, 'dispensedSeparately')?.valueBoolean === true,
      ...(text(a.reference?.reference) ? { medicationRequest: a.reference!.reference! } : {}),
    });
  });
  for (const arm of ['A', 'B'] as const) {
    if (!periods.some((p) => p.arm === arm)) problems.push({ path: 'carePlan.activity', message: `has no period of treatment ${arm}` });
  }
  if (problems.length) return { ok: false, problems };
  const seed = Number(one(trial, 'seed')?.valueString);
  const stopExt = list(cp.extension).find((e) => isObject(e) && e.url === NOF1_STOP_EXTENSION);
  const stopDate = text(one(stopExt, 'date')?.valueDate);
  const stopReason = isObject(one(stopExt, 'reason')?.valueCoding) ? one(stopExt, 'reason')!.valueCoding : undefined;
  const stopArm = one(stopExt, 'arm')?.valueCode;
  const earlyStop: EarlyStop | undefined =
    stopExt && stopDate && stopReason
      ? {
          date: stopDate,
          reason: stopReason,
          serious: one(stopExt, 'serious')?.valueBoolean === true,
          ...(stopArm === 'A' || stopArm === 'B' ? { arm: stopArm } : {}),
          ...(text(one(stopExt, 'note')?.valueString) ? { note: one(stopExt, 'note')!.valueString! } : {}),
        }
      : undefined;
  const primary = isObject(one(trial, 'primaryOutcome')?.valueCoding) ? one(trial, 'primaryOutcome')!.valueCoding : undefined;
  const mcid = one(trial, 'mcid')?.valueDecimal;
  if (!primary) problems.push({ path: 'carePlan.extension', message: 'names no primary outcome' });
  if (typeof mcid !== 'number' || !(mcid > 0)) problems.push({ path: 'carePlan.extension', message: 'has no MCID greater than 0' });
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: {
      patientId: patientId!,
      arms: { A, B },
      pairs: int('pairs') ?? Math.floor(periods.length / 2),
      periodDays: int('periodDays') ?? 0,
      washoutDays: int('washoutDays') ?? 0,
      randomisation: { seed: Number.isFinite(seed) ? seed : -1, algorithm: text(one(trial, 'algorithm')?.valueString) ?? 'not recorded', order: text(one(trial, 'order')?.valueString) ?? 'not recorded' },
      blinded: one(trial, 'blinded')?.valueBoolean === true,
      blindingNote: text(one(trial, 'blindingNote')?.valueString) ?? '',
      primaryOutcome: primary!,
      secondaryOutcomes: sub(trial, 'secondaryOutcome').flatMap((e) => (isObject(e.valueCoding) ? [e.valueCoding] : [])),
      mcid: mcid!,
      separateDispensing: one(trial, 'separateDispensing')?.valueBoolean === true,
      stoppingRules: sub(trial, 'stoppingRule').flatMap((e) => (text(e.valueString) ? [e.valueString!] : [])),
      periods: [...periods].sort((a, b) => a.start.localeCompare(b.start)),
      status: cp.status === 'completed' || cp.status === 'revoked' ? cp.status : 'active',
      ...(earlyStop ? { earlyStop } : {}),
      ...(text(cp.created) ? { created: cp.created } : {}),
    },
  };
}

const sameCode = (a: Coding | undefined, b: Coding) => a?.system === b.system && a?.code === b.code;

/** The Observations of one trial: basedOn the CarePlan (by its id, whatever the base URL). */
export function trialObservations(carePlanId: string, observations: readonly Observation[]): Observation[] {
  const ref = new RegExp(`(^|/)CarePlan/${escape(carePlanId)}$`);
  return observations.filter((o) => isObject(o) && o.resourceType === 'Observation' && o.status !== 'entered-in-error' && list(o.basedOn).some((b) => isObject(b) && ref.test(text(b.reference) ?? '')));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function observationDay(o: Observation): string | undefined {
  const d = text(o.effectiveDateTime ?? o.effectivePeriod?.start)?.slice(0, 10);
  return d && dayNumber(d) !== undefined ? d : undefined;
}

function numericValue(o: Observation): number | undefined {
  const v = o.valueInteger ?? o.valueQuantity?.value ?? (o as { valueDecimal?: number }).valueDecimal;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The last score of each day for one code (a correction the same day replaces the first entry), in date order. */
export function dailySeries(observations: readonly Observation[], code: Coding): { date: string; value: number }[] {
  const byDay = new Map<string, number>();
  for (const o of observations) {
    if (!list(o.code?.coding).some((c) => isObject(c) && sameCode(c, code))) continue;
    const day = observationDay(o);
    const value = numericValue(o);
    if (day === undefined || value === undefined) continue;
    byDay.set(day, value);
  }
  return [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, value]) => ({ date, value }));
}

/**
 * The analysis input of a trial: its periods (cut at an early stop: the
 * period running on the stop day ends that day, later ones are dropped) and
 * the daily primary-outcome scores.
 */
export function trialInputFrom(design: TrialDesign, observations: readonly Observation[], lowerIsBetter: boolean, outcomeName: string, range?: readonly [number, number]): TrialInput {
  const stop = design.earlyStop?.date;
  const periods = design.periods
    .filter((p) => !stop || p.start <= stop)
    .map((p) => ({ treatment: p.arm, start: p.start, end: stop && p.end > stop ? stop : p.end }));
  return {
    treatments: { A: design.arms.A.label, B: design.arms.B.label },
    outcome: { name: outcomeName, lowerIsBetter, mcid: design.mcid },
    washoutDays: design.washoutDays,
    periods,
    // A score outside the outcome's scale is a recording error: not analysed (the report lists it).
    observations: dailySeries(observations, design.primaryOutcome).filter((o) => !range || (o.value >= range[0] && o.value <= range[1])),
  };
}
