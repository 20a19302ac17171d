import type { PatientFacts } from './catalog.js';
import { analgesicImpact, describeScore, withArticle, type Cyp2d6Assessment, type Cyp2d6Tables } from '../pgx/index.js';

/** CYP2D6 facts for rules and templates, from one assessment per call. */
export function pgxPatientFacts(a: Cyp2d6Assessment, tables: Cyp2d6Tables): Partial<PatientFacts> {
  const dataVersion = a.dataVersions.join(', ');
  if (a.status === 'no-result') {
    return {
      'cyp2d6.hasResult': false,
      'cyp2d6.diplotype': null,
      'cyp2d6.basis': 'no CYP2D6 result on file',
      'cyp2d6.resultNote': '',
      'cyp2d6.headline': '',
      'cyp2d6.activityScore': null,
      'cyp2d6.genotypePhenotype': null,
      'cyp2d6.phenotype': null,
      'cyp2d6.riskPhenotype': null,
      'cyp2d6.phenoconverted': false,
      'cyp2d6.inhibitors': [],
      'cyp2d6.phenoconversionNote': '',
      'cyp2d6.discrepancyNote': '',
      'cyp2d6.indeterminateReason': null,
      'cyp2d6.analgesics': [],
      'cyp2d6.dataVersion': dataVersion,
    };
  }
  const score = a.activityScore ? describeScore(a.activityScore) : null;
  const basis = a.diplotype
    ? `genotype ${a.diplotype}${score ? `, activity score ${score}` : ''}`
    : a.form === 'phenotype-only'
      ? 'lab-reported phenotype only, no genotype on file'
      : 'unreadable genotype';
  const dated = a.date ? `${basis}, reported ${a.date.slice(0, 10)}` : basis;
  const strongest = a.inhibitors[0];
  return {
    'cyp2d6.hasResult': true,
    'cyp2d6.diplotype': a.diplotype ?? null,
    'cyp2d6.basis': dated,
    'cyp2d6.resultNote': resultNote(a),
    'cyp2d6.headline':
      a.phenoconverted && strongest
        ? `${a.phenotype.display.toLowerCase()} while on ${strongest.name} (${a.diplotype ? `genotype ${a.diplotype} alone: ` : 'lab-reported: '}${a.genotypePhenotype.display.toLowerCase()})`
        : `${a.phenotype.display.toLowerCase()} (${basis})`,
    'cyp2d6.activityScore': score,
    'cyp2d6.genotypePhenotype': a.genotypePhenotype.display,
    'cyp2d6.phenotype': a.phenotype.display,
    'cyp2d6.riskPhenotype': a.phenotype.code,
    'cyp2d6.phenoconverted': a.phenoconverted,
    'cyp2d6.inhibitors': a.inhibitors.map((i) => `${i.name} (${i.strength})`),
    'cyp2d6.phenoconversionNote': a.phenoconversionNote ?? '',
    'cyp2d6.discrepancyNote': a.discrepancy ?? '',
    'cyp2d6.indeterminateReason': a.indeterminateReason ?? null,
    'cyp2d6.analgesics': analgesicImpact(a.phenotype.code, tables.recommendations.data),
    'cyp2d6.dataVersion': dataVersion,
  };
}

/**
 * What the result on file predicts by itself, one sentence to follow
 * "CYP2D6 result: {{cyp2d6.basis}}." It never names the phenotype after an
 * inhibitor, which `cyp2d6.phenoconversionNote` gives as a separate sentence.
 */
function resultNote(a: Extract<Cyp2d6Assessment, { status: 'result' }>): string {
  const own = a.genotypePhenotype;
  if (a.form === 'diplotype') {
    if (own.code === 'Indeterminate') return `It cannot be assigned a phenotype: ${a.indeterminateReason ?? 'its interpretation is unknown'}.`;
    return `By itself, this genotype predicts ${withArticle(own.display.toLowerCase())}.`;
  }
  if (own.code === 'Indeterminate') return `It cannot be assigned a phenotype: ${a.indeterminateReason ?? 'the lab reported it as indeterminate'}.`;
  return `The lab reported ${withArticle(own.display.toLowerCase())}.`;
}
