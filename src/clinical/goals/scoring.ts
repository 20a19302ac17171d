/**
 * The Kiresuk-Sherman Goal Attainment Scaling T-score (Kiresuk & Sherman 1968;
 * Turner-Stokes 2009, formula as corrected by its erratum):
 *
 *   T = 50 + 10 Σwᵢxᵢ / √((1 − ρ) Σwᵢ² + ρ (Σwᵢ)²)
 *
 * xᵢ is the level attained on goal i (−2 .. +2, 0 = the expected outcome), wᵢ
 * its weight, ρ the assumed correlation between goals (0.3 in the table).
 * 50 means "as expected"; above, better; below, worse. Pure and total: no
 * goals scored gives null, never 50.
 */
export interface ScoredGoal {
  /** Level attained, −2 .. +2. */
  readonly level: number;
  /** Weight, positive (1 for equal weights). */
  readonly weight: number;
}

export function gasTScore(goals: readonly ScoredGoal[], rho: number): number | null {
  const scored = goals.filter((g) => Number.isFinite(g.level) && Number.isFinite(g.weight) && g.weight > 0);
  if (!scored.length) return null;
  const sumWX = scored.reduce((s, g) => s + g.weight * g.level, 0);
  const sumW = scored.reduce((s, g) => s + g.weight, 0);
  const sumW2 = scored.reduce((s, g) => s + g.weight * g.weight, 0);
  return 50 + (10 * sumWX) / Math.sqrt((1 - rho) * sumW2 + rho * sumW * sumW);
}

/** One decimal, for people and for provenance ("62.4"). */
export const roundT = (t: number): number => Math.round(t * 10) / 10;
