import type { ActivityValues } from './tables.js';

/**
 * CYP2D6 diplotype -> activity score, from the CPIC allele table.
 * Scores are multiples of 0.25, so arithmetic is done in quarters (integers)
 * to keep boundaries such as 1.25 and 2.25 exact.
 */
export type ActivityScore =
  | { readonly kind: 'exact'; readonly value: number }
  /**
   * A lower bound: CPIC's x≥3 bins (e.g. *1/*1x≥3 = ≥4.0), and an unknown copy
   * number (xN), which the table counts as the lowest copy number of that bin.
   * The phenotype is assigned from the bound.
   */
  | { readonly kind: 'atLeast'; readonly value: number }
  | { readonly kind: 'indeterminate'; readonly reason: string };

interface Copy {
  readonly allele: string;
  /** Known copy number; 'N' unknown; '≥3' CPIC bin. */
  readonly copies: number | 'N' | '≥3';
}

/**
 * *4, *4.024 (PharmVar sub-allele), *4K (legacy letter sub-allele; never X, which
 * starts a copy number), *1x2, *1xN, *1x≥3.
 */
const ALLELE = /^\*(\d+)(?:\.\d+|[A-WYZ])?(?:x(\d+|n|≥3|>=3))?$/i;

/** Normalises lab spellings: "CYP2D6 *1/*4", "CYP2D6_*1/*2x2", "CYP2D6*4.024/CYP2D6*41" -> haplotype strings. */
export function splitDiplotype(text: string): [string, string] | undefined {
  const cleaned = text
    .replace(/CYP2D6[\s_]*/gi, '')
    .replace(/\s+/g, '')
    .replace(/×/g, 'x');
  const parts = cleaned.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return [parts[0], parts[1]];
}

/** The diplotype in CPIC's normal form: "*1/*2x2", sub-alleles dropped. Undefined when unreadable. */
export function normalizeDiplotype(text: string): string | undefined {
  const halves = splitDiplotype(text);
  if (!halves) return undefined;
  const norm = halves.map((h) => h.split('+').map((part) => {
    const m = ALLELE.exec(part);
    if (!m) return undefined;
    const n = m[2]?.toLowerCase();
    return `*${m[1]}${n === undefined ? '' : n === 'n' ? 'xN' : n === '>=3' || n === '≥3' ? 'x≥3' : `x${n}`}`;
  }));
  if (norm.some((h) => h.some((p) => p === undefined))) return undefined;
  return norm.map((h) => h.join('+')).join('/');
}

function parseHaplotype(text: string): Copy[] | undefined {
  const out: Copy[] = [];
  for (const part of text.split('+')) {
    const m = ALLELE.exec(part);
    if (!m) return undefined;
    const n = m[2]?.toLowerCase();
    out.push({ allele: `*${m[1]}`, copies: n === undefined ? 1 : n === 'n' ? 'N' : n === '>=3' || n === '≥3' ? '≥3' : Number(n) });
  }
  return out;
}

type Quarters = { exact: number } | { atLeast: number } | { unknown: string };

function copyValue(copy: Copy, values: ActivityValues): Quarters {
  const table = values.activityValues;
  const single = table[copy.allele];
  if (single === undefined) return { unknown: `allele ${copy.allele} is not in the CPIC table` };
  if (single === null) return { unknown: `allele ${copy.allele} has unknown or uncertain function` };
  if (typeof single !== 'number') return { unknown: `allele ${copy.allele} has no single-copy value` };
  const q = Math.round(single * 4);
  if (copy.copies === 1) return { exact: q };
  const keyed = (key: string) => table[`${copy.allele}x${key}`];
  const binned = copy.copies === '≥3' || copy.copies === 'N';
  const count = copy.copies === '≥3' ? 3 : copy.copies === 'N' ? values.unknownCopyNumber.countAs : copy.copies;
  const exactKey = binned ? undefined : keyed(String(count));
  if (exactKey === null) return { unknown: `allele ${copy.allele}x${count} has unknown or uncertain function` };
  if (typeof exactKey === 'number') return { exact: Math.round(exactKey * 4) };
  if (count >= 3) {
    const bin = keyed('≥3');
    if (bin === null) return { unknown: `allele ${copy.allele}x≥3 has unknown or uncertain function` };
    if (bin && typeof bin === 'object') return { atLeast: Math.round(bin.atLeast * 4) };
    if (typeof bin === 'number') return { exact: Math.round(bin * 4) };
  }
  if (q === 0) return { exact: 0 };
  return binned ? { atLeast: q * count } : { exact: q * count };
}

export function scoreDiplotype(text: string, table: ActivityValues): ActivityScore {
  const halves = splitDiplotype(text);
  if (!halves) return { kind: 'indeterminate', reason: `"${text}" is not a readable CYP2D6 diplotype` };
  let min = 0;
  let bound: 'exact' | 'atLeast' = 'exact';
  for (const half of halves) {
    const copies = parseHaplotype(half);
    if (!copies) return { kind: 'indeterminate', reason: `"${half}" is not a readable CYP2D6 allele` };
    for (const copy of copies) {
      const v = copyValue(copy, table);
      if ('unknown' in v) return { kind: 'indeterminate', reason: v.unknown };
      if ('exact' in v) min += v.exact;
      else {
        min += v.atLeast;
        bound = 'atLeast';
      }
    }
  }
  const value = min / 4;
  return bound === 'exact' ? { kind: 'exact', value } : { kind: 'atLeast', value };
}

/**
 * Score x phenoconversion multiplier (0 or 0.5). A multiplier of 0 (strong
 * inhibitor) gives 0 whatever the score, an indeterminate one included; 0.5 of
 * an unknown score stays unknown.
 */
export function multiplyScore(score: ActivityScore, multiplier: number): ActivityScore {
  if (multiplier === 1) return score;
  if (multiplier === 0) return { kind: 'exact', value: 0 };
  if (score.kind === 'indeterminate') return score;
  return { kind: score.kind, value: score.value * multiplier };
}

export function describeScore(score: ActivityScore): string | null {
  const fmt = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));
  switch (score.kind) {
    case 'exact':
      return fmt(score.value);
    case 'atLeast':
      return `≥${fmt(score.value)}`;
    default:
      return null;
  }
}
