import { analgesicImpact, describeScore, type Cyp2d6Assessment, type Cyp2d6Tables } from '../pgx/index.js';

/** CYP2D6 facts for rules and templates, from one assessment per call. */
export function pgxPatientFacts(a: Cyp2d6Assessment, tables: Cyp2d6Tables): Record<string, unknown> {
  const dataVersion = a.dataVersions.join(', ');
  if (a.status === 'no-result') {
    return {
      'cyp2d6.hasResult': false,
      'cyp2d6.diplotype': null,
      'cyp2d6.basis': 'no CYP2D6 result on file',
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
      ? 'reported phenotype (no genotype on file)'
      : 'unreadable genotype';
  const dated = a.date ? `${basis}, reported ${a.date.slice(0, 10)}` : basis;
  return {
    'cyp2d6.hasResult': true,
    'cyp2d6.diplotype': a.diplotype ?? null,
    'cyp2d6.basis': dated,
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
