import { describe, expect, test } from 'vitest';
import { analyzeTrial, mulberry32, normalFrom, planPeriods, randomiseBlocks } from '../../../src/clinical/nof1/index.js';
import { NOF1_ANALYSIS_DEFAULTS } from './helpers.js';

describe('seeded randomisation of the order within each block', () => {
  test('the same seed gives the same order, recorded with the seed', () => {
    const first = randomiseBlocks(4, 12345);
    expect(randomiseBlocks(4, 12345)).toEqual(first);
    expect(first.seed).toBe(12345);
    expect(first.algorithm).toMatch(/mulberry32/);
    expect(first.sequence).toEqual(first.blocks.flatMap((b) => [...b]));
    expect(first.blocks.every((b) => b === 'AB' || b === 'BA')).toBe(true);
  });

  test('pinned orders: a change of generator shows here', () => {
    expect(randomiseBlocks(3, 7).blocks).toEqual(['AB', 'AB', 'BA']);
    expect(randomiseBlocks(2, 0).blocks).toEqual(randomiseBlocks(2, 0).blocks);
    // Mulberry32's first outputs for seed 1 (0.6270739405..., 0.0027357211..., 0.5274470399...).
    const r = mulberry32(1);
    expect([r(), r(), r()].map((x) => Math.round(x * 1e9))).toEqual([627073941, 2735721, 527447040]);
  });

  test('each block is AB about half the time over many seeds', () => {
    let ab = 0;
    for (let seed = 0; seed < 2000; seed++) ab += randomiseBlocks(2, seed).blocks.filter((b) => b === 'AB').length;
    expect(ab / 4000).toBeGreaterThan(0.46);
    expect(ab / 4000).toBeLessThan(0.54);
  });

  test('refuses fewer than 2 pairs and seeds that are not 32-bit whole numbers', () => {
    expect(() => randomiseBlocks(1, 1)).toThrow('an N-of-1 trial needs at least 2 pairs of periods (got 1)');
    expect(() => randomiseBlocks(3, -1)).toThrow(/seed/);
    expect(() => randomiseBlocks(3, 1.5)).toThrow(/seed/);
    expect(() => randomiseBlocks(3, 2 ** 32)).toThrow(/seed/);
  });

  test('a plan has back-to-back periods in the randomised order and can be analysed', () => {
    const plan = planPeriods({ start: '2026-03-30', pairs: 2, periodDays: 7, washoutDays: 2, seed: 99 });
    expect(plan.periods.map((p) => p.treatment)).toEqual(plan.randomisation.sequence);
    expect(plan.periods[0]).toMatchObject({ start: '2026-03-30', end: '2026-04-05' });
    expect(plan.periods[3]).toMatchObject({ start: '2026-04-20', end: '2026-04-26' });
    const random = mulberry32(5);
    const observations = Array.from({ length: 28 }, (_, d) => ({ date: new Date(Date.UTC(2026, 2, 30 + d)).toISOString().slice(0, 10), value: 5 + normalFrom(random) }));
    const r = analyzeTrial({ treatments: { A: 'a', B: 'b' }, outcome: { name: 'pain', lowerIsBetter: true, mcid: 1 }, washoutDays: plan.washoutDays, periods: plan.periods, observations }, NOF1_ANALYSIS_DEFAULTS);
    expect(r.ok).toBe(true);
  });

  test('a plan refuses a washout as long as the period', () => {
    expect(() => planPeriods({ start: '2026-01-01', pairs: 2, periodDays: 2, washoutDays: 2, seed: 1 })).toThrow(/no day after a 2-day washout/);
    expect(() => planPeriods({ start: '2026-13-01', pairs: 2, periodDays: 7, washoutDays: 2, seed: 1 })).toThrow(/YYYY-MM-DD/);
  });
});
