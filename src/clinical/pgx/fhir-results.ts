import type { CodeableConcept, Coding, Observation } from 'fhir/r4';
import { normalizeDiplotype } from './activity-score.js';
import { phenotypeFromReport, type ReportedPhenotype } from './phenotype.js';
import type { PhenotypeCode, PhenotypeTable } from './tables.js';

/**
 * Finds CYP2D6 results among Observations in the forms labs send: Genomics
 * Reporting genotype observations (84413-4 with gene HGNC:2625), PharmVar
 * codings, text and valueString diplotypes, phenotype-only results (LOINC
 * answers or free text) and therapeutic-implication observations (current and
 * legacy 53040-2 components). Gene plus value decide, not one LOINC code.
 */
export interface Cyp2d6Report {
  readonly observationId?: string;
  readonly date?: string;
  readonly diplotype?: string;
  /** The raw diplotype text when it could not be normalised (scored as Indeterminate). */
  readonly unreadableDiplotype?: string;
  readonly reportedPhenotype?: PhenotypeCode;
  /** Why a reported answer was read as Indeterminate (e.g. "rapid metabolizer", which CPIC does not define). */
  readonly reportedReason?: string;
}

const HGNC_CYP2D6 = 'HGNC:2625';
const FINAL = new Set(['final', 'amended', 'corrected']);
const DIPLOTYPE_TEXT = /\*\d+[^/]*\/\s*(CYP2D6)?[\s_]*\*\d+/i;

function texts(concept: CodeableConcept | undefined): string[] {
  if (!concept) return [];
  return [concept.text, ...(concept.coding ?? []).flatMap((c) => [c.display, c.code])].filter((t): t is string => typeof t === 'string');
}

function mentionsCyp2d6(concept: CodeableConcept | undefined): boolean {
  return (concept?.coding ?? []).some((c) => c.code === HGNC_CYP2D6) || texts(concept).some((t) => /CYP2D6/i.test(t));
}

function isCyp2d6(o: Observation): boolean {
  if (mentionsCyp2d6(o.code) || mentionsCyp2d6(o.valueCodeableConcept)) return true;
  if (typeof o.valueString === 'string' && /CYP2D6/i.test(o.valueString)) return true;
  return (o.component ?? []).some((c) => mentionsCyp2d6(c.valueCodeableConcept) || mentionsCyp2d6(c.code) || /CYP2D6/i.test(c.valueString ?? ''));
}

function diplotypeIn(candidates: (string | undefined)[]): { diplotype?: string; unreadable?: string } {
  for (const c of candidates) {
    if (!c || !DIPLOTYPE_TEXT.test(c)) continue;
    const match = /(CYP2D6[\s_]*)?\*[^\s/]+\s*\/\s*(CYP2D6[\s_]*)?\*[^\s,;)]+/i.exec(c);
    const normal = match ? normalizeDiplotype(match[0]) : undefined;
    return normal ? { diplotype: normal } : { unreadable: match?.[0] ?? c };
  }
  return {};
}

function codings(concept: CodeableConcept | undefined): Coding[] {
  return concept?.coding ?? [];
}

export function readCyp2d6Report(o: Observation, table: PhenotypeTable): Cyp2d6Report | undefined {
  if (!FINAL.has(o.status) || !isCyp2d6(o)) return undefined;
  const valueTexts = [o.valueString, ...texts(o.valueCodeableConcept)];
  const componentTexts = (o.component ?? []).flatMap((c) => [c.valueString, ...texts(c.valueCodeableConcept)]);
  const { diplotype, unreadable } = diplotypeIn([...valueTexts, ...componentTexts]);

  let reported: ReportedPhenotype | undefined = phenotypeFromReport(codings(o.valueCodeableConcept), o.valueCodeableConcept?.text ?? o.valueString, table);
  for (const c of o.component ?? []) {
    if (reported) break;
    reported = phenotypeFromReport(codings(c.valueCodeableConcept), c.valueCodeableConcept?.text ?? c.valueString, table);
  }
  const reportedPhenotype: PhenotypeCode | undefined = reported?.code;
  if (!diplotype && !unreadable && !reportedPhenotype) return undefined;
  const date = o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued;
  return {
    ...(o.id ? { observationId: o.id } : {}),
    ...(date ? { date } : {}),
    ...(diplotype ? { diplotype } : {}),
    ...(unreadable ? { unreadableDiplotype: unreadable } : {}),
    ...(reportedPhenotype ? { reportedPhenotype } : {}),
    ...(reported?.reason ? { reportedReason: reported.reason } : {}),
  };
}

/** The latest final genotype and the latest final reported phenotype, newest first by date. */
export function latestCyp2d6Reports(observations: readonly Observation[], table: PhenotypeTable): { genotype?: Cyp2d6Report; phenotype?: Cyp2d6Report } {
  const reports = observations
    .map((o) => readCyp2d6Report(o, table))
    .filter((r): r is Cyp2d6Report => r !== undefined)
    .sort((a, b) => time(b.date) - time(a.date));
  return {
    genotype: reports.find((r) => r.diplotype || r.unreadableDiplotype),
    phenotype: reports.find((r) => r.reportedPhenotype),
  };
}

function time(date: string | undefined): number {
  const t = date ? Date.parse(date) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
