import { z } from 'zod';
import { jsonPath } from '../../knowledge/problems.js';

/**
 * The trial as clinicians and researchers write it (plain JSON), its schema
 * with messages that name the problem, and the checks zod cannot express
 * (an end before its start, overlapping periods, an arm without periods).
 */

/** A problem in the input, with the JSON path of the value (`periods[2].end`; empty for the whole trial). */
export interface TrialProblem {
  readonly path: string;
  readonly message: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a calendar date `YYYY-MM-DD`, or undefined if it is not a real date. */
export function dayNumber(date: string): number | undefined {
  const m = DATE.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

/** `YYYY-MM-DD` of a day number. */
/** Days from `start` to `end`, both counted (valid YYYY-MM-DD dates). */
export function dayCount(start: string, end: string): number {
  return dayNumber(end)! - dayNumber(start)! + 1;
}

export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

const calendarDate = z
  .string({ error: 'must be a date written YYYY-MM-DD' })
  .regex(DATE, 'must be a date written YYYY-MM-DD')
  .refine((s) => dayNumber(s) !== undefined, { error: (iss) => `${JSON.stringify(iss.input)} is not a calendar date` });

const arm = z.enum(['A', 'B'], { error: (iss) => `unknown arm ${JSON.stringify(iss.input)}: must be "A" or "B" (the keys of treatments)` });

/** Messages of an object: not an object at all, or a field it does not know (a typo is not silently ignored). */
function objectError(expected: string) {
  return (iss: { code?: string; keys?: readonly string[] }) =>
    iss.code === 'unrecognized_keys'
      ? `has unknown field${iss.keys!.length > 1 ? 's' : ''} ${iss.keys!.map((k) => JSON.stringify(k)).join(', ')}: expected ${expected}`
      : `must be an object ${expected}`;
}

const finite = (what: string) => z.number({ error: `must be a number (${what})` }).refine(Number.isFinite, `must be a finite number (${what})`);

const trialSchema = z.object({
  treatments: z
    .object({
      A: z.string({ error: 'must name treatment A' }).trim().min(1, 'must name treatment A'),
      B: z.string({ error: 'must name treatment B' }).trim().min(1, 'must name treatment B'),
    }, { error: objectError('{"A": "...", "B": "..."}') })
    .strict(),
  outcome: z
    .object({
      name: z.string({ error: 'must name the outcome' }).trim().min(1, 'must name the outcome'),
      lowerIsBetter: z.boolean({ error: 'must be true or false (true for pain scores)' }),
      mcid: finite('the minimal clinically important difference, on the outcome scale').refine((v) => v > 0, 'must be greater than 0').optional(),
    }, { error: objectError('{"name", "lowerIsBetter", "mcid"}') })
    .strict(),
  washoutDays: z
    .number({ error: 'must be a whole number of days (0 for none)' })
    .int('must be a whole number of days (0 for none)')
    .min(0, 'must not be negative'),
  periods: z
    .array(
      z.object({ treatment: arm, start: calendarDate, end: calendarDate }, { error: objectError('{"treatment", "start", "end"}') }).strict(),
      { error: 'must be a list of periods' },
    )
    .min(2, 'needs at least one period of each treatment'),
  observations: z
    .array(z.object({ date: calendarDate, value: finite('the outcome score') }, { error: objectError('{"date", "value"}') }).strict(), {
      error: 'must be a list of observations',
    })
    .min(1, 'has no observations'),
}, { error: 'a trial must be a JSON object' });

export type TrialInput = z.infer<typeof trialSchema>;
export type Arm = 'A' | 'B';

export interface Period {
  readonly index: number;
  readonly treatment: Arm;
  readonly start: string;
  readonly end: string;
  readonly startDay: number;
  readonly endDay: number;
}

export interface Trial {
  readonly input: TrialInput;
  /** Periods in calendar order, each with its index in the input. */
  readonly periods: readonly Period[];
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly TrialProblem[] };

/** Validates a trial; all problems are returned at once, each with its JSON path. */
export function parseTrial(json: unknown): Parsed<Trial> {
  const parsed = trialSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })) };
  }
  const input = parsed.data;
  const problems: TrialProblem[] = [];
  const periods: Period[] = input.periods.map((p, index) => ({ index, ...p, startDay: dayNumber(p.start)!, endDay: dayNumber(p.end)! }));
  for (const p of periods) {
    if (p.endDay < p.startDay) problems.push({ path: `periods[${p.index}].end`, message: `ends (${p.end}) before its start (${p.start})` });
  }
  const ordered = [...periods].sort((x, y) => x.startDay - y.startDay || x.index - y.index);
  let latest: Period | undefined;
  for (const p of ordered) {
    if (latest && p.startDay <= latest.endDay) {
      const [first, second] = latest.index < p.index ? [latest, p] : [p, latest];
      problems.push({
        path: `periods[${second.index}]`,
        message: `overlaps periods[${first.index}] (${second.start} to ${second.end} and ${first.start} to ${first.end}); each day belongs to one treatment`,
      });
    }
    if (!latest || p.endDay > latest.endDay) latest = p;
  }
  for (const a of ['A', 'B'] as const) {
    if (!periods.some((p) => p.treatment === a)) problems.push({ path: 'periods', message: `has no period of treatment ${a} (${input.treatments[a]})` });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { input, periods: ordered } };
}
