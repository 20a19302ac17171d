import { describe, expect, test } from 'vitest';
import { incompleteBeta, logGamma, studentTCdf, studentTQuantile } from '../../../src/clinical/nof1/index.js';

/**
 * The Student-t functions against distributions whose CDF and quantile have
 * closed forms: ν = 1 (Cauchy), ν = 2 and ν = 4.
 *   ν = 1: F(t) = ½ + arctan(t)/π,              Q(p) = tan(π(p − ½))
 *   ν = 2: F(t) = ½ + t / (2√(2 + t²)),          Q(p) = a·√(2 / (1 − a²)), a = 2p − 1
 *   ν = 4: F(t) = ½ + ¾·u·(1 − u²/3), u = t/√(4 + t²),
 *          Q(p) = sign(p − ½)·2√(q − 1), q = cos(arccos(√α)/3)/√α, α = 4p(1 − p)
 */
const cdf1 = (t: number) => 0.5 + Math.atan(t) / Math.PI;
const cdf2 = (t: number) => 0.5 + t / (2 * Math.sqrt(2 + t * t));
const cdf4 = (t: number) => {
  const u = t / Math.sqrt(4 + t * t);
  return 0.5 + 0.75 * u * (1 - (u * u) / 3);
};
const q1 = (p: number) => Math.tan(Math.PI * (p - 0.5));
const q2 = (p: number) => {
  const a = 2 * p - 1;
  return a * Math.sqrt(2 / (1 - a * a));
};
const q4 = (p: number) => {
  const alpha = 4 * p * (1 - p);
  const q = Math.cos(Math.acos(Math.sqrt(alpha)) / 3) / Math.sqrt(alpha);
  return Math.sign(p - 0.5) * 2 * Math.sqrt(q - 1);
};

const T = [-30, -4.2, -2, -1, -0.25, 0, 0.1, 0.5, 1.5, 3, 7, 50];
const P = [0.0005, 0.01, 0.025, 0.2, 0.5, 0.7, 0.9, 0.975, 0.995];

describe('Student-t CDF', () => {
  test.each(T)('at t = %d matches the closed forms for ν = 1, 2, 4', (t) => {
    expect(studentTCdf(t, 1)).toBeCloseTo(cdf1(t), 13);
    expect(studentTCdf(t, 2)).toBeCloseTo(cdf2(t), 13);
    expect(studentTCdf(t, 4)).toBeCloseTo(cdf4(t), 13);
  });

  test('is symmetric and tends to the normal for large ν', () => {
    for (const t of T) expect(studentTCdf(t, 7.5) + studentTCdf(-t, 7.5)).toBeCloseTo(1, 14);
    // Φ(1.959964) = 0.975
    expect(studentTCdf(1.959963985, 1e7)).toBeCloseTo(0.975, 6);
  });

  test('rejects degrees of freedom that are not positive', () => {
    expect(() => studentTCdf(1, 0)).toThrow(/positive/);
  });
});

describe('Student-t quantile', () => {
  test.each(P)('at p = %d matches the closed forms for ν = 1, 2, 4', (p) => {
    expect(studentTQuantile(p, 1)).toBeCloseTo(q1(p), 9);
    expect(studentTQuantile(p, 2)).toBeCloseTo(q2(p), 11);
    expect(studentTQuantile(p, 4)).toBeCloseTo(q4(p), 11);
  });

  test('matches printed tables of t(0.975)', () => {
    // Standard tables: ν = 4: 2.776445, ν = 10: 2.228139, ν = 30: 2.042272.
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 6);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 6);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 6);
  });

  test('inverts the CDF', () => {
    for (const df of [1.5, 3, 9, 57]) for (const p of P) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
  });

  test('rejects p outside (0, 1)', () => {
    expect(() => studentTQuantile(1, 4)).toThrow(/0 < p < 1/);
  });
});

describe('incomplete beta and log-gamma', () => {
  test('I_x(1, 1) = x, I_x(a, 1) = x^a, I_x(1, b) = 1 − (1 − x)^b', () => {
    for (const x of [0.01, 0.3, 0.5, 0.77, 0.99]) {
      expect(incompleteBeta(x, 1, 1)).toBeCloseTo(x, 14);
      expect(incompleteBeta(x, 3.5, 1)).toBeCloseTo(x ** 3.5, 13);
      expect(incompleteBeta(x, 1, 2.5)).toBeCloseTo(1 - (1 - x) ** 2.5, 13);
    }
  });

  test('log Γ(n) = log (n − 1)! and Γ(½) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(6)).toBeCloseTo(Math.log(120), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(0.1)).toBeCloseTo(Math.log(9.513507698668732), 12);
  });
});
