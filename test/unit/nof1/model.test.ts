import { describe, expect, test } from 'vitest';
import { linearPosterior, summarise, twoArmPosterior } from '../../../src/clinical/nof1/index.js';

/**
 * Closed-form posteriors computed by hand.
 *
 * Data set 1: A = 5, 6, 7 and B = 3, 4, 5 (pain, lower is better, MCID 1).
 *   ȳ_A = 6, ȳ_B = 4, so the posterior location of δ = μ_B − μ_A is −2.
 *   Sums of squares 2 + 2 = 4 on ν = 3 + 3 − 2 = 4 degrees of freedom: s² = 1.
 *   Scale s·√(1/3 + 1/3) = √(2/3) = 0.816497.
 *   t(0.975; 4) = 2.776445, half-width 2.776445 × 0.816497 = 2.266958:
 *   95% credible interval [−4.266958, 0.266958].
 *   P(δ < 0) = F₄(2 / 0.816497) = F₄(2.449490); with u = t/√(4 + t²) = 2.449490/√10 = 0.774597,
 *   F₄ = ½ + ¾·u·(1 − u²/3) = ½ + ¾ × 0.774597 × 0.8 = 0.964758.
 *   P(δ ≤ −1) = F₄((−1 + 2)/0.816497) = F₄(1.224745); u = 1.224745/√5.5 = 0.522233,
 *   F₄ = ½ + ¾ × 0.522233 × (1 − 0.090909) = 0.856068.
 *
 * Data set 2: A = 4, 6 and B = 7 (higher is better). ν = 1 (Cauchy).
 *   δ location 7 − 5 = 2; s² = (1 + 1 + 0)/1 = 2; scale √2·√(1/2 + 1) = √3 = 1.732051.
 *   t(0.975; 1) = tan(0.475π) = 12.706205; interval 2 ± 22.007792 = [−20.007792, 24.007792].
 *   P(δ > 0) = ½ + arctan(2/√3)/π = ½ + 0.857072/π = 0.7728145.
 *   P(δ ≥ 1) = ½ + arctan(1/√3)/π = ½ + (π/6)/π = 2/3.
 */
describe('two-arm model, common unknown variance, prior ∝ 1/σ²', () => {
  test('data set 1: hand-computed posterior of B − A', () => {
    const fit = twoArmPosterior([5, 6, 7], [3, 4, 5]);
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    expect(fit.fit.difference.location).toBe(-2);
    expect(fit.fit.difference.df).toBe(4);
    expect(fit.fit.residualSd).toBeCloseTo(1, 14);
    expect(fit.fit.difference.scale).toBeCloseTo(Math.sqrt(2 / 3), 14);
    const s = summarise(fit.fit.difference, true, 1);
    expect(s.meanDifference).toBe(-2);
    expect(s.credibleInterval95[0]).toBeCloseTo(-4.266958, 6);
    expect(s.credibleInterval95[1]).toBeCloseTo(0.266958, 6);
    expect(s.probabilityBBetter).toBeCloseTo(0.964758, 6);
    expect(s.probabilityClinicallyImportant).toBeCloseTo(0.856068, 6);
  });

  test('data set 1 with higher-is-better: the probabilities turn around', () => {
    const fit = twoArmPosterior([5, 6, 7], [3, 4, 5]);
    if (!fit.ok) throw new Error(fit.reason);
    const s = summarise(fit.fit.difference, false, 1);
    expect(s.probabilityBBetter).toBeCloseTo(1 - 0.964758, 6);
    // P(δ ≥ 1) = 1 − F₄((1 + 2)/0.816497) = 1 − F₄(3.674235); u = 3.674235/√17.5 = 0.878310,
    // F₄ = ½ + ¾ × 0.878310 × (1 − 0.257143) = 0.989344.
    expect(s.probabilityClinicallyImportant).toBeCloseTo(1 - 0.989344, 6);
  });

  test('data set 2: one degree of freedom (Cauchy posterior)', () => {
    const fit = twoArmPosterior([4, 6], [7]);
    if (!fit.ok) throw new Error(fit.reason);
    expect(fit.fit.difference).toMatchObject({ location: 2, df: 1 });
    expect(fit.fit.difference.scale).toBeCloseTo(Math.sqrt(3), 14);
    const s = summarise(fit.fit.difference, false, 1);
    expect(s.credibleInterval95[0]).toBeCloseTo(-20.007792, 5);
    expect(s.credibleInterval95[1]).toBeCloseTo(24.007792, 5);
    expect(s.probabilityBBetter).toBeCloseTo(0.7728145, 6);
    expect(s.probabilityClinicallyImportant).toBeCloseTo(2 / 3, 12);
  });

  test('says why it cannot fit', () => {
    expect(twoArmPosterior([], [1, 2])).toMatchObject({ ok: false, reason: expect.stringMatching(/each arm/) });
    expect(twoArmPosterior([1], [2])).toMatchObject({ ok: false, reason: expect.stringMatching(/at least 3/) });
    expect(twoArmPosterior([3, 3], [5, 5])).toMatchObject({ ok: false, reason: expect.stringMatching(/do not vary/) });
  });
});

/**
 * Linear model with intercept, treatment and time, prior ∝ 1/σ².
 * Rows (1, on B, t): t = 0..5, on B = 0 1 1 0 0 1, y = 6 4 5 7 6 3.
 *   XᵀX = [[6, 3, 15], [3, 3, 8], [15, 8, 55]],
 *   (XᵀX)⁻¹ = [[101/156, −15/52, −7/52], [−15/52, 35/52, −1/52], [−7/52, −1/52, 3/52]],
 *   Xᵀy = (31, 12, 73), β̂ = (XᵀX)⁻¹Xᵀy = (1037/156, −119/52, −7/52) = (6.647436, −2.288462, −0.134615).
 *   Residuals (−101, −35, 142, 118, −17, −107)/156, RSS = 367/117, ν = 3, s² = 367/468.
 *   Scales s·√((XᵀX)⁻¹_jj): 0.712539, 0.726511, 0.212701.
 */
describe('linear model posterior', () => {
  test('hand-computed coefficients and scales', () => {
    const x = [0, 1, 2, 3, 4, 5].map((t, i) => [1, [0, 1, 1, 0, 0, 1][i]!, t]);
    const fit = linearPosterior(x, [6, 4, 5, 7, 6, 3]);
    if (!fit.ok) throw new Error(fit.reason);
    const [b0, b1, b2] = fit.fit.coefficients;
    expect(b0!.location).toBeCloseTo(1037 / 156, 12);
    expect(b1!.location).toBeCloseTo(-119 / 52, 12);
    expect(b2!.location).toBeCloseTo(-7 / 52, 12);
    expect(b1!.df).toBe(3);
    expect(fit.fit.residualSd ** 2).toBeCloseTo(367 / 468, 12);
    expect(b0!.scale).toBeCloseTo(Math.sqrt((367 / 468) * (101 / 156)), 12);
    expect(b1!.scale).toBeCloseTo(0.726511, 6);
    expect(b2!.scale).toBeCloseTo(0.212701, 6);
  });

  test('with only intercept and treatment it is the two-arm model', () => {
    const a = [5.5, 6, 7.25, 6.5];
    const b = [3, 4.5, 5, 4];
    const fit = linearPosterior([...a.map(() => [1, 0]), ...b.map(() => [1, 1])], [...a, ...b]);
    const two = twoArmPosterior(a, b);
    if (!fit.ok || !two.ok) throw new Error('fit failed');
    expect(fit.fit.coefficients[1]!.location).toBeCloseTo(two.fit.difference.location, 12);
    expect(fit.fit.coefficients[1]!.scale).toBeCloseTo(two.fit.difference.scale, 12);
    expect(fit.fit.coefficients[1]!.df).toBe(two.fit.difference.df);
  });

  test('refuses a design whose terms cannot be separated', () => {
    const fit = linearPosterior([[1, 0, 0], [1, 0, 0], [1, 1, 1], [1, 1, 1], [1, 0, 0]], [1, 2, 3, 4, 5]);
    expect(fit).toMatchObject({ ok: false, reason: expect.stringMatching(/cannot separate/) });
  });
});
