import type { MedicationStatement } from 'fhir/r4';
import { describeScore, findInhibitors, multiplyScore, phenotypeFromReport, phenotypeFromScore, scoreDiplotype, type ActivityScore, type PhenotypeCode, type ActivityValues, type InhibitorTable, type PhenotypeTable } from '../pgx/index.js';
import type { PkModelTable } from './models.js';

/**
 * The activity score the twin uses: from a number, a diplotype (CPIC allele
 * values) or a phenotype (a representative score from pk-models.json), then
 * multiplied for the strongest listed inhibitor exactly as the CDS cards do
 * (src/clinical/pgx: scoreDiplotype, findInhibitors, multiplyScore).
 */
export type Cyp2d6Spec = { readonly activityScore: number } | { readonly diplotype: string } | { readonly phenotype: string };

export interface Cyp2d6Tables {
  readonly activity: ActivityValues;
  readonly phenotypes: PhenotypeTable;
  readonly inhibitors: InhibitorTable;
}

export interface EffectiveCyp2d6 {
  readonly given: Cyp2d6Spec | 'none';
  readonly activityScore: number;
  readonly activityScoreIsLowerBound: boolean;
  readonly inhibitorsApplied: readonly { readonly name: string; readonly strength: 'strong' | 'moderate' }[];
  readonly inhibitorsNotListed: readonly string[];
  readonly multiplier: number;
  readonly effectiveActivityScore: number;
  /** Phenotype to act on (after phenoconversion). */
  readonly phenotype: string;
  /** Its CPIC code (UM, NM, IM, PM, Indeterminate): the key of the CPIC advice. */
  readonly phenotypeCode: PhenotypeCode;
  readonly notes: readonly string[];
}

export class Cyp2d6InputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

export function resolveCyp2d6(spec: Cyp2d6Spec | undefined, inhibitorNames: readonly string[], tables: Cyp2d6Tables, pk: PkModelTable['cyp2d6']): EffectiveCyp2d6 {
  const notes: string[] = [];
  let score: ActivityScore;
  if (!spec) {
    score = { kind: 'exact', value: pk.referenceActivityScore };
    notes.push(`No CYP2D6 result given: simulated at activity score ${describeScore(score)}, the normal-metabolizer reference of the source studies.`);
  } else if ('activityScore' in spec) {
    score = { kind: 'exact', value: spec.activityScore };
  } else if ('diplotype' in spec) {
    score = scoreDiplotype(spec.diplotype, tables.activity);
    if (score.kind === 'indeterminate') throw new Cyp2d6InputError('cyp2d6.diplotype', `cannot be scored: ${score.reason}`);
    if (score.kind === 'atLeast') notes.push(`The diplotype gives a lower bound (≥${score.value}); the bound is used.`);
  } else {
    const reported = phenotypeFromReport([], spec.phenotype.toLowerCase(), tables.phenotypes);
    const code = reported?.code ?? (['UM', 'NM', 'IM', 'PM'].includes(spec.phenotype.toUpperCase()) ? (spec.phenotype.toUpperCase() as 'UM' | 'NM' | 'IM' | 'PM') : undefined);
    if (!code || code === 'Indeterminate') throw new Cyp2d6InputError('cyp2d6.phenotype', `"${spec.phenotype}" is not a CPIC CYP2D6 phenotype (UM, NM, IM or PM)`);
    const rep = pk.phenotypeActivityScores[code];
    score = { kind: 'exact', value: rep.value };
    notes.push(`Phenotype ${code} without a genotype: simulated at activity score ${rep.value} (${rep.note}).`);
  }

  const statements: MedicationStatement[] = inhibitorNames.map((name, i) => ({
    resourceType: 'MedicationStatement',
    id: `input-${i}`,
    status: 'active',
    subject: { reference: 'Patient/what-if' },
    medicationCodeableConcept: { text: name },
  }));
  const found = findInhibitors(statements, tables.inhibitors);
  const matched = new Set(found.map((f) => f.medicationRef));
  const inhibitorsNotListed = inhibitorNames.filter((_, i) => !matched.has(`MedicationStatement/input-${i}`));
  if (inhibitorsNotListed.length > 0) notes.push(`Not in the CYP2D6 inhibitor table, so no effect assumed: ${inhibitorsNotListed.join(', ')}.`);
  const strongest = found[0];
  const multiplier = strongest ? tables.phenotypes.phenoconversion[strongest.strength] : 1;
  const effective = multiplyScore(score, multiplier);
  if (effective.kind === 'indeterminate') throw new Cyp2d6InputError('cyp2d6', effective.reason);
  const call = phenotypeFromScore(effective, tables.phenotypes);
  if (strongest) notes.push(`${strongest.name} (${strongest.strength} inhibitor): activity score x ${multiplier}. ${tables.phenotypes.phenoconversion.note}`);
  return {
    given: spec ?? 'none',
    activityScore: score.value,
    activityScoreIsLowerBound: score.kind === 'atLeast',
    inhibitorsApplied: found.map((f) => ({ name: f.name, strength: f.strength })),
    inhibitorsNotListed,
    multiplier,
    effectiveActivityScore: effective.value,
    phenotype: call.display,
    phenotypeCode: call.code,
    notes,
  };
}
