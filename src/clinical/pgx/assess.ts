import type { MedicationRequest, MedicationStatement, Observation } from 'fhir/r4';
import type { MedicationResolver } from '../medication.js';
import { tableCitation } from '../../knowledge/table.js';
import { describeScore, multiplyScore, scoreDiplotype, type ActivityScore } from './activity-score.js';
import { latestCyp2d6Reports } from './fhir-results.js';
import { findInhibitors, type InhibitorInUse } from './inhibitors.js';
import { phenotypeFromScore, single, type PhenotypeCall } from './phenotype.js';
import type { Cyp2d6Tables, PhenotypeCode } from './tables.js';

/**
 * The patient's CYP2D6 picture: result on file -> activity score -> phenotype
 * from the genotype -> phenotype after phenoconversion by active inhibitors.
 */
export type Cyp2d6Assessment =
  | { readonly status: 'no-result'; readonly dataVersions: readonly string[] }
  | {
      readonly status: 'result';
      readonly diplotype?: string;
      readonly form: 'diplotype' | 'phenotype-only';
      readonly observationId?: string;
      readonly date?: string;
      readonly activityScore?: ActivityScore;
      readonly effectiveScore?: ActivityScore;
      readonly genotypePhenotype: PhenotypeCall;
      readonly phenotype: PhenotypeCall;
      readonly inhibitors: readonly InhibitorInUse[];
      readonly phenoconverted: boolean;
      readonly phenoconversionNote?: string;
      readonly discrepancy?: string;
      readonly indeterminateReason?: string;
      readonly dataVersions: readonly string[];
    };

export interface Cyp2d6Input {
  readonly observations: readonly Observation[];
  readonly activeMedications: readonly (MedicationRequest | MedicationStatement)[];
  readonly resolveMedication?: MedicationResolver;
}

/** Phenotype-only results have no score to multiply: a strong inhibitor (x0) gives PM, a moderate one moves one step down. */
const ONE_STEP_DOWN: Record<PhenotypeCode, PhenotypeCode> = { UM: 'NM', NM: 'IM', IM: 'IM', PM: 'PM', Indeterminate: 'Indeterminate' };

export function assessCyp2d6(input: Cyp2d6Input, tables: Cyp2d6Tables): Cyp2d6Assessment {
  const dataVersions = [tables.activity.meta, tables.phenotypes.meta, tables.inhibitors.meta].map(tableCitation);
  const ph = tables.phenotypes.data;
  const { genotype, phenotype: reported } = latestCyp2d6Reports(input.observations, ph);
  if (!genotype && !reported) return { status: 'no-result', dataVersions };

  const inhibitors = findInhibitors(input.activeMedications, tables.inhibitors.data, input.resolveMedication);
  const strongest = inhibitors[0];
  const multiplier = strongest ? ph.phenoconversion[strongest.strength] : 1;

  let activityScore: ActivityScore | undefined;
  let effectiveScore: ActivityScore | undefined;
  let genotypePhenotype: PhenotypeCall;
  let phenotype: PhenotypeCall;
  let indeterminateReason: string | undefined;
  let discrepancy: string | undefined;

  if (genotype) {
    activityScore = genotype.diplotype
      ? scoreDiplotype(genotype.diplotype, tables.activity.data)
      : { kind: 'indeterminate', reason: `"${genotype.unreadableDiplotype}" is not a readable CYP2D6 diplotype` };
    if (activityScore.kind === 'indeterminate') indeterminateReason = activityScore.reason;
    genotypePhenotype = phenotypeFromScore(activityScore, ph);
    const isPoor = genotypePhenotype.code === 'PM';
    // A strong inhibitor (x0) gives 0 whatever the genotype, an indeterminate one included.
    effectiveScore = isPoor ? activityScore : multiplyScore(activityScore, multiplier);
    phenotype = phenotypeFromScore(effectiveScore, ph);
    if (reported?.reportedPhenotype && reported.reportedPhenotype !== 'Indeterminate' && genotypePhenotype.code !== 'Indeterminate' && !genotypePhenotype.possible.includes(reported.reportedPhenotype)) {
      discrepancy = `The lab also reported "${ph.phenotypes[reported.reportedPhenotype].display}", which does not match the genotype; the phenotype here is computed from the genotype with the current CPIC values.`;
    }
  } else {
    const code = reported!.reportedPhenotype!;
    genotypePhenotype = single(code, ph);
    const converted = !strongest || code === 'PM' ? code : multiplier === 0 ? 'PM' : ONE_STEP_DOWN[code];
    phenotype = single(converted, ph);
    if (code === 'Indeterminate') indeterminateReason = reported!.reportedReason ?? 'the lab reported the phenotype as indeterminate';
  }

  const phenoconverted = phenotype.code !== genotypePhenotype.code && genotypePhenotype.code !== 'PM';
  const source = genotype ?? reported!;
  return {
    status: 'result',
    ...(genotype?.diplotype ? { diplotype: genotype.diplotype } : {}),
    form: genotype ? 'diplotype' : 'phenotype-only',
    ...(source.observationId ? { observationId: source.observationId } : {}),
    ...(source.date ? { date: source.date } : {}),
    ...(activityScore ? { activityScore } : {}),
    ...(effectiveScore ? { effectiveScore } : {}),
    genotypePhenotype,
    phenotype,
    inhibitors,
    phenoconverted,
    ...(phenoconverted && strongest ? { phenoconversionNote: phenoconversionNote(strongest, multiplier, genotypePhenotype, phenotype, activityScore, effectiveScore, ph) } : {}),
    ...(discrepancy ? { discrepancy } : {}),
    ...(indeterminateReason ? { indeterminateReason } : {}),
    dataVersions,
  };
}

/**
 * The phenotype to act on, in its own sentences: it never says the genotype
 * predicts the converted phenotype (the genotype's own prediction is told
 * separately, see `cyp2d6.resultNote`).
 */
function phenoconversionNote(
  inhibitor: InhibitorInUse,
  multiplier: number,
  fromGenotype: PhenotypeCall,
  acting: PhenotypeCall,
  score: ActivityScore | undefined,
  effective: ActivityScore | undefined,
  ph: Cyp2d6Tables['phenotypes']['data'],
): string {
  const before = score ? describeScore(score) : null;
  const after = effective ? describeScore(effective) : null;
  // A phenotype-only result has no genotype and no activity score: say only what is known.
  const phenotypeOnly = score === undefined;
  const arithmetic =
    before && after
      ? ` (activity score ${before} x ${multiplier} = ${after})`
      : multiplier === 0
        ? phenotypeOnly
          ? fromGenotype.code === 'Indeterminate'
            ? ', and a strong inhibitor blocks CYP2D6 whatever the phenotype (the reported one is indeterminate)'
            : ', and a strong inhibitor blocks CYP2D6 whatever the reported phenotype'
          : ', and a strong inhibitor blocks CYP2D6 whatever the genotype (activity score x 0)'
        : phenotypeOnly
          ? ', and a moderate inhibitor moves the reported phenotype one step lower'
          : '';
  // The multiplier note only where a multiplier is applied to an activity score.
  const estimate = phenotypeOnly
    ? 'With no genotype on file there is no activity score to adjust: the phenotype to act on is an estimate from the reported phenotype and the inhibitor\'s strength.'
    : ph.phenoconversion.note;
  const flip =
    fromGenotype.code === 'UM' && acting.code === 'PM'
      ? ' For codeine and tramadol the concern becomes too little pain relief rather than toxicity.'
      : '';
  return (
    `Act as for ${withArticle(acting.display.toLowerCase())}: ${inhibitor.name}, a ${inhibitor.strength} CYP2D6 inhibitor, is in use${arithmetic}.${flip} ` +
    `${estimate}${inhibitor.note ? ` Note: ${inhibitor.note}.` : ''}`
  );
}

/** "a poor metabolizer", "an ultrarapid metabolizer". */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}
