import type { PhenotypeCode, RecommendationTable } from './tables.js';

/** Drug-by-drug: which analgesics this phenotype affects, with CPIC's advice (for the summary card and the app). */
export interface AnalgesicImpact {
  readonly drug: string;
  readonly affected: boolean | null;
  readonly advice: string;
}

export function analgesicImpact(phenotype: PhenotypeCode, table: RecommendationTable): AnalgesicImpact[] {
  return table.drugs.map((d) => {
    const row = d.byPhenotype?.[phenotype];
    if (d.cyp2d6 && row) return { drug: d.drug, affected: row.affected, advice: row.advice };
    return { drug: d.drug, affected: d.affected === undefined ? false : d.affected, advice: d.note ?? 'Not affected by CYP2D6' };
  });
}
