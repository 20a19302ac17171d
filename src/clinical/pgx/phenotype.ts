import type { ActivityScore } from './activity-score.js';
import type { PhenotypeCode, PhenotypeTable } from './tables.js';

/**
 * Activity score -> phenotype (2019 consensus thresholds, from the table).
 * A lower bound or an open range can span several phenotypes; the card then
 * names the span ("Normal to ultrarapid metabolizer") and rules act on the
 * riskier end, which for these drugs is the highest activity.
 */
export interface PhenotypeCall {
  /** For rules: UM, NM, IM, PM or Indeterminate (the riskier end of a span). */
  readonly code: PhenotypeCode;
  /** For people. */
  readonly display: string;
  /** Every phenotype the score allows, lowest activity first. */
  readonly possible: readonly PhenotypeCode[];
}

const ORDER: readonly PhenotypeCode[] = ['PM', 'IM', 'NM', 'UM'];

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
  if (score.kind === 'exact') return single(phenotypeOf(score.value, table), table);
  const from = phenotypeOf(score.kind === 'atLeast' ? score.value : score.min, table);
  const possible = ORDER.slice(ORDER.indexOf(from));
  if (possible.length === 1) return single(possible[0]!, table);
  const low = table.phenotypes[possible[0]!].display.replace(/ metabolizer$/i, '');
  const high = table.phenotypes[possible.at(-1)!].display.toLowerCase();
  return { code: possible.at(-1)!, display: `${low} to ${high}`, possible };
}

export function single(code: PhenotypeCode, table: PhenotypeTable): PhenotypeCall {
  return { code, display: table.phenotypes[code].display, possible: [code] };
}

const compiledSynonyms = new WeakMap<PhenotypeTable, { code: PhenotypeCode; pattern: RegExp }[]>();

/** Synonym patterns, longest first so "ultrarapid metabolizer" wins over "rapid metabolizer"; compiled once per table. */
function synonyms(table: PhenotypeTable): { code: PhenotypeCode; pattern: RegExp }[] {
  let list = compiledSynonyms.get(table);
  if (!list) {
    list = Object.entries(table.phenotypes)
      .flatMap(([code, p]) => p.synonyms.map((s) => ({ code: code as PhenotypeCode, synonym: s })))
      .sort((a, b) => b.synonym.length - a.synonym.length)
      .map(({ code, synonym }) => ({ code, pattern: new RegExp(`(^|[^a-z])${synonym.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}([^a-z]|$)`) }));
    compiledSynonyms.set(table, list);
  }
  return list;
}

/** Reads a reported phenotype: LOINC answer code or free text ("Poor Metabolizer", "extensive metabolizer"). */
export function phenotypeFromReport(coding: { code?: string; display?: string }[], text: string | undefined, table: PhenotypeTable): PhenotypeCode | undefined {
  for (const c of coding) {
    for (const [code, p] of Object.entries(table.phenotypes)) if (c.code && p.loinc.includes(c.code)) return code as PhenotypeCode;
  }
  const candidates = [text, ...coding.map((c) => c.display)].filter((t): t is string => Boolean(t)).map((t) => t.toLowerCase());
  for (const candidate of candidates) {
    for (const { code, pattern } of synonyms(table)) if (pattern.test(candidate)) return code;
  }
  return undefined;
}
