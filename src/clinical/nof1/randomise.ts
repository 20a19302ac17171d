import { dateOfDay, dayNumber, type Arm } from './trial.js';

/**
 * Seeded randomisation of an N-of-1 trial: the trial is a series of blocks
 * (pairs of periods), and the order of A and B inside each block is drawn at
 * random, AB or BA, independently per block (CENT 2015 item 8: the sequence
 * and how it was generated are reported). The draws come from a small
 * deterministic generator, so the same seed always gives the same order, and
 * the seed and the order are recorded with the plan.
 */

/**
 * Mulberry32, a 32-bit generator with a 32-bit state (Tommy Ettinger, public
 * domain): one Weyl step of the state, then an integer hash of it. Returns
 * numbers in [0, 1) with 32 random bits.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw from two uniforms (Box–Muller), for simulations. */
export function normalFrom(random: () => number): number {
  const u = 1 - random(); // in (0, 1]
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface Randomisation {
  readonly seed: number;
  readonly algorithm: string;
  /** The order inside each block, first block first. */
  readonly blocks: readonly ('AB' | 'BA')[];
  /** The treatment of each period, in order. */
  readonly sequence: readonly Arm[];
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`the seed must be a whole number from 0 to 4294967295 (got ${seed})`);
}

/** The order of A and B in each of `pairs` blocks, from a seed. */
export function randomiseBlocks(pairs: number, seed: number): Randomisation {
  if (!Number.isInteger(pairs) || pairs < 2) throw new RangeError(`an N-of-1 trial needs at least 2 pairs of periods (got ${pairs})`);
  checkSeed(seed);
  const random = mulberry32(seed);
  const blocks = Array.from({ length: pairs }, () => (random() < 0.5 ? 'AB' : 'BA') as 'AB' | 'BA');
  return {
    seed,
    algorithm: 'mulberry32(seed); block i is AB when the i-th draw is below 0.5, else BA',
    blocks,
    sequence: blocks.flatMap((b) => [b[0] as Arm, b[1] as Arm]),
  };
}

export interface PlanOptions {
  /** First day of the trial, `YYYY-MM-DD`. */
  readonly start: string;
  readonly pairs: number;
  /** Length of every period in days. */
  readonly periodDays: number;
  readonly washoutDays: number;
  readonly seed: number;
}

export interface Plan {
  readonly randomisation: Randomisation;
  readonly washoutDays: number;
  readonly periods: readonly { readonly treatment: Arm; readonly start: string; readonly end: string }[];
}

/** Back-to-back periods of equal length in a randomised order, in the shape `analyzeTrial` reads. */
export function planPeriods(options: PlanOptions): Plan {
  const first = dayNumber(options.start);
  if (first === undefined) throw new RangeError(`start must be a date written YYYY-MM-DD (got ${JSON.stringify(options.start)})`);
  if (!Number.isInteger(options.periodDays) || options.periodDays < 1) throw new RangeError(`periodDays must be a whole number of days (got ${options.periodDays})`);
  if (!Number.isInteger(options.washoutDays) || options.washoutDays < 0) throw new RangeError(`washoutDays must be a whole number of days, 0 or more (got ${options.washoutDays})`);
  if (options.washoutDays >= options.periodDays) throw new RangeError(`periods of ${options.periodDays} days leave no day after a ${options.washoutDays}-day washout`);
  const randomisation = randomiseBlocks(options.pairs, options.seed);
  const periods = randomisation.sequence.map((treatment, i) => {
    const startDay = first + i * options.periodDays;
    return { treatment, start: dateOfDay(startDay), end: dateOfDay(startDay + options.periodDays - 1) };
  });
  return { randomisation, washoutDays: options.washoutDays, periods };
}
