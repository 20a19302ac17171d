import { dayNumber, type Arm, type Period, type Trial } from './trial.js';

/**
 * Which observations the analysis uses. A day belongs to the period that
 * covers it. A "switch" is the start of a period whose treatment differs from
 * the period before it in calendar order (the first period is not a switch,
 * and neither is a period that repeats the previous treatment, as the middle
 * of A B B A). The first `washoutDays` days of each switched-to period are
 * washout: the previous treatment may still act, so those observations are
 * excluded and listed with the reason. The washout is counted from the start
 * of the new period even when there is a gap before it (conservative).
 * Observations on days outside every period are excluded too, and so is a
 * score of a day that has another one later in the input: one score per day,
 * the last one entered (as when reading the FHIR Observations), so a day
 * entered twice does not weigh twice.
 */

export interface UsedObservation {
  /** Index in the input's `observations`. */
  readonly index: number;
  readonly date: string;
  readonly day: number;
  readonly value: number;
  readonly treatment: Arm;
  /** Index of the period in the input's `periods`. */
  readonly period: number;
  /** Days since the start of its period (0 on the first day). */
  readonly dayInPeriod: number;
  /** Length of its period in days. */
  readonly periodLength: number;
}

export interface ExcludedObservation {
  readonly index: number;
  readonly date: string;
  readonly value: number;
  readonly reason: 'washout' | 'outside-periods' | 'duplicate-day';
  readonly detail: string;
  /** The treatment of the period, for an observation in a washout. */
  readonly treatment?: Arm;
}

export interface Selection {
  readonly used: readonly UsedObservation[];
  readonly excluded: readonly ExcludedObservation[];
  /** Input indices of the periods that start with a switch of treatment. */
  readonly switches: readonly number[];
}

export function selectObservations(trial: Trial): Selection {
  const { periods, input } = trial;
  const switches = new Set<number>();
  periods.forEach((p, i) => {
    if (i > 0 && periods[i - 1]!.treatment !== p.treatment) switches.add(p.index);
  });
  const previous = new Map<number, Period>(periods.slice(1).map((p, i) => [p.index, periods[i]!]));
  const used: UsedObservation[] = [];
  const excluded: ExcludedObservation[] = [];
  const lastOfDay = new Map<string, number>(input.observations.map((o, index) => [o.date, index]));
  input.observations.forEach((o, index) => {
    const last = lastOfDay.get(o.date)!;
    if (last !== index) {
      excluded.push({ index, date: o.date, value: o.value, reason: 'duplicate-day', detail: `another score for ${o.date} comes later (observations[${last}]): the last one of a day is used` });
      return;
    }
    const day = dayNumber(o.date)!;
    const period = periods.find((p) => day >= p.startDay && day <= p.endDay);
    if (!period) {
      excluded.push({ index, date: o.date, value: o.value, reason: 'outside-periods', detail: 'the date is in no period' });
      return;
    }
    const dayInPeriod = day - period.startDay;
    if (switches.has(period.index) && dayInPeriod < input.washoutDays) {
      const from = previous.get(period.index)!.treatment;
      excluded.push({
        index,
        date: o.date,
        value: o.value,
        reason: 'washout',
        treatment: period.treatment,
        detail: `day ${dayInPeriod + 1} of the ${input.washoutDays}-day washout after the switch from ${from} to ${period.treatment} on ${period.start} (periods[${period.index}])`,
      });
      return;
    }
    used.push({ index, date: o.date, day, value: o.value, treatment: period.treatment, period: period.index, dayInPeriod, periodLength: period.endDay - period.startDay + 1 });
  });
  return { used, excluded, switches: [...switches] };
}
