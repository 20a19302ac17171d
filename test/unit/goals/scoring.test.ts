import { describe, expect, test } from 'vitest';
import { gasTScore, roundT } from '../../../src/clinical/goals/scoring.js';

/**
 * The Kiresuk-Sherman T-score against values computed by hand:
 * T = 50 + 10 Σwx / √(0.7 Σw² + 0.3 (Σw)²).
 */
const t = (goals: [number, number][], rho = 0.3) => gasTScore(goals.map(([level, weight]) => ({ level, weight })), rho);

describe('GAS T-score', () => {
  test('one goal: the denominator is 1, so each level is 10 points', () => {
    // √(0.7·1 + 0.3·1) = 1
    expect(t([[0, 1]])).toBe(50);
    expect(t([[1, 1]])).toBeCloseTo(60, 10);
    expect(t([[-1, 1]])).toBeCloseTo(40, 10);
    expect(t([[-2, 1]])).toBeCloseTo(30, 10);
    expect(t([[2, 1]])).toBeCloseTo(70, 10);
  });

  test('several goals, equal weights', () => {
    // +1 and −1 cancel.
    expect(t([[1, 1], [-1, 1]])).toBeCloseTo(50, 10);
    // Σwx = 2; √(0.7·2 + 0.3·4) = √2.6 = 1.612452; 50 + 20/1.612452 = 62.4035
    expect(t([[1, 1], [1, 1]])).toBeCloseTo(62.4035, 3);
    // Σwx = −3; √(0.7·3 + 0.3·9) = √4.8 = 2.190890; 50 − 30/2.190890 = 36.3069
    expect(t([[0, 1], [-1, 1], [-2, 1]])).toBeCloseTo(36.3069, 3);
    // All five at −1: Σwx = −5; √(0.7·5 + 0.3·25) = √11 = 3.316625; 50 − 50/3.316625 = 34.9244
    expect(t([[-1, 1], [-1, 1], [-1, 1], [-1, 1], [-1, 1]])).toBeCloseTo(34.9244, 3);
  });

  test('weights', () => {
    // Σwx = 3 − 1 = 2; Σw² = 10; (Σw)² = 16; √(7 + 4.8) = √11.8 = 3.435113; 50 + 20/3.435113 = 55.8222
    expect(t([[1, 3], [-1, 1]])).toBeCloseTo(55.8222, 3);
    // Σwx = −2 + 2 = 0
    expect(t([[-1, 2], [2, 1]])).toBeCloseTo(50, 10);
    // Equal weights of 2 give the same T as weights of 1 (the score is scale-free in w).
    expect(t([[1, 2], [1, 2]])).toBeCloseTo(t([[1, 1], [1, 1]])!, 10);
  });

  test('ρ is a parameter: with ρ = 0 two goals at +1 give 50 + 20/√2', () => {
    expect(t([[1, 1], [1, 1]], 0)).toBeCloseTo(50 + 20 / Math.SQRT2, 10);
  });

  test('missing follow-ups: no goal scored gives no T-score (never 50); an unusable weight is left out', () => {
    expect(t([])).toBeNull();
    expect(t([[1, 0]])).toBeNull();
    expect(t([[1, 1], [Number.NaN, 1]])).toBeCloseTo(60, 10);
  });

  test('rounded to one decimal for people', () => {
    expect(roundT(62.4035)).toBe(62.4);
    expect(roundT(36.3069)).toBe(36.3);
  });
});
