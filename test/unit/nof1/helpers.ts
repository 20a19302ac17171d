import { loadKnowledge } from '../../helpers/knowledge.js';
/** Builders of small trials for the N-of-1 tests. */

export interface TestPeriod {
  readonly treatment: string;
  readonly start: string;
  readonly end: string;
}

export function isoDay(start: string, offset: number): string {
  return new Date(Date.parse(`${start}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
}

/** Back-to-back periods of `days` days from 2026-01-01, in the given order. */
export function periodsOf(order: string, days: number, start = '2026-01-01'): TestPeriod[] {
  return [...order].map((treatment, i) => ({ treatment, start: isoDay(start, i * days), end: isoDay(start, (i + 1) * days - 1) }));
}

/** A trial with one observation a day over all periods; `value(day, treatment, dayInPeriod)` gives the score. */
export function dailyTrial(order: string, days: number, washoutDays: number, value: (day: number, treatment: string, dayInPeriod: number) => number, mcid: number | null = 1) {
  const periods = periodsOf(order, days);
  const observations = [...order].flatMap((treatment, i) =>
    Array.from({ length: days }, (_, d) => ({ date: isoDay('2026-01-01', i * days + d), value: value(i * days + d, treatment, d) })),
  );
  return {
    treatments: { A: 'paracetamol', B: 'ibuprofen' },
    outcome: mcid === null ? { name: 'pain', lowerIsBetter: true } : { name: 'pain', lowerIsBetter: true, mcid },
    washoutDays,
    periods,
    observations,
  };
}

/** The analysis defaults of the project's table (rules/knowledge/nof1-defaults.json), as the service and the command use them. */
export const NOF1_ANALYSIS_DEFAULTS = loadKnowledge().nof1.defaults;
