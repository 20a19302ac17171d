import type { ActivityScore } from './activity-score.js';
import type { PhenotypeCode, PhenotypeTable } from './tables.js';

/**
 * Activity score -> phenotype (2019 consensus thresholds, from the table).
 * A lower bound (CPIC's x≥3 bins, and xN counted as that bin) is assigned the
 * phenotype of the bound itself, as CPIC does: *4/*41xN (≥0.75) is an
 * intermediate metabolizer, never "possibly ultrarapid".
 */
export interface PhenotypeCall {
  /** For rules: UM, NM, IM, PM or Indeterminate. */
  readonly code: PhenotypeCode;
  /** For people. */
  readonly display: string;
  /** The phenotypes the result allows (one, since scores are exact or assigned from their bound). */
  readonly possible: readonly PhenotypeCode[];
}

function phenotypeOf(value: number, table: PhenotypeTable): PhenotypeCode {
  const eps = 1e-9;
  for (const t of table.thresholds) {
    if (t.min !== undefined && value < t.min - eps) continue;
    if (t.max !== undefined && value > t.max + eps) continue;
    if (t.minExclusive !== undefined && value <= t.minExclusive + eps) continue;
    if (t.maxExclusive !== undefined && value >= t.maxExclusive - eps) continue;
    return t.phenotype;
  }
  return 'Indeterminate';
}

export function phenotypeFromScore(score: ActivityScore, table: PhenotypeTable): PhenotypeCall {
  if (score.kind === 'indeterminate') return single('Indeterminate', table);
  return single(phenotypeOf(score.value, table), table);
}

export function single(code: PhenotypeCode, table: PhenotypeTable): PhenotypeCall {
  return { code, display: table.phenotypes[code].display, possible: [code] };
}

/** A phenotype as the lab reported it; `reason` when an answer outside CPIC's phenotypes is read as Indeterminate. */
export interface ReportedPhenotype {
  readonly code: PhenotypeCode;
  readonly reason?: string;
}

const compiledSynonyms = new WeakMap<PhenotypeTable, { answer: ReportedPhenotype; pattern: RegExp }[]>();

/** Synonym patterns, longest first so "ultrarapid metabolizer" wins over "rapid metabolizer"; compiled once per table. */
function synonyms(table: PhenotypeTable): { answer: ReportedPhenotype; pattern: RegExp }[] {
  let list = compiledSynonyms.get(table);
  if (!list) {
    const own = Object.entries(table.phenotypes).flatMap(([code, p]) => p.synonyms.map((s) => ({ answer: { code: code as PhenotypeCode }, synonym: s })));
    const other = table.otherAnswers.flatMap((o) => o.synonyms.map((s) => ({ answer: { code: o.readAs, reason: o.reason }, synonym: s })));
    list = [...own, ...other]
      .sort((a, b) => b.synonym.length - a.synonym.length)
      .map(({ answer, synonym }) => ({ answer, pattern: new RegExp(`(^|[^a-z])${synonym.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}([^a-z]|$)`) }));
    compiledSynonyms.set(table, list);
  }
  return list;
}

/** Reads a reported phenotype: LOINC answer code or free text ("Poor Metabolizer", "extensive metabolizer"). */
export function phenotypeFromReport(coding: { code?: string; display?: string }[], text: string | undefined, table: PhenotypeTable): ReportedPhenotype | undefined {
  for (const c of coding) {
    if (!c.code) continue;
    for (const [code, p] of Object.entries(table.phenotypes)) if (p.loinc.includes(c.code)) return { code: code as PhenotypeCode };
    const other = table.otherAnswers.find((o) => o.loinc === c.code);
    if (other) return { code: other.readAs, reason: other.reason };
  }
  const candidates = [text, ...coding.map((c) => c.display)].filter((t): t is string => Boolean(t)).map((t) => t.toLowerCase());
  for (const candidate of candidates) {
    for (const { answer, pattern } of synonyms(table)) if (pattern.test(candidate)) return answer;
  }
  return undefined;
}
