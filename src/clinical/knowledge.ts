import type { KnowledgeTable, KnowledgeTables } from '../knowledge/table.js';
import { tableCitation } from '../knowledge/table.js';
import { compileMmeKnowledge, parseFactorsTable, parseIngredientsTable, parseProductsTable, parseSafetyParametersTable, parseToleranceTable, type FactorTable, type MmeKnowledge } from './mme/index.js';
import { parseOverrideReasonsTable, type OverrideReasonTable } from './override-reasons.js';
import { parseActivityValuesTable, parseInhibitorsTable, parsePhenotypesTable, parseRecommendationsTable, type Cyp2d6Tables } from './pgx/index.js';
import { parsePaediatricTable, type PaediatricParameters } from './pgx/paediatric.js';
import { parseGasTable, type GasTable } from './goals/tables.js';
import { analysisDefaults, parseNof1DefaultsTable, type Nof1DefaultsTable } from './nof1/defaults.js';
import type { Nof1Defaults } from './nof1/report.js';
import { compileProKnowledge, type ProKnowledge } from './pro/knowledge.js';
import { parseNonDrugTable, parseProInstrumentsTable } from './pro/tables.js';
import { parsePkModelsTable, type PkModelTable } from './twin/models.js';
import type { WhatIfKnowledge } from './twin/what-if.js';
import { assertValueSets, compileValueSets, parseValueSetTable, REQUIRED_VALUE_SETS, type ValueSetTable, type ValueSets } from './valuesets.js';

/**
 * The pain-management knowledge, compiled once per rule-set load from the
 * versioned tables in rules/knowledge/ and the named parameters: CPIC CYP2D6
 * tables, MME factors and products, value sets, override reasons.
 */
export interface PainKnowledge {
  readonly cyp2d6: Cyp2d6Tables;
  readonly mme: MmeKnowledge;
  /** Daily MME at or above which the total is listed as an overdose risk factor (the parameter mme.reassess). */
  readonly overdoseRiskMme: number;
  readonly valueSets: ValueSets;
  readonly overrideReasons: OverrideReasonTable;
  /** Codeine and tramadol in children (FDA 2017): post-operative period after tonsillectomy. */
  readonly paediatric: PaediatricParameters;
  /** Whole-person instruments, non-drug options and the parameters their facts use. */
  readonly pro: ProKnowledge;
  /** Goal Attainment Scaling (HL7 PCO IG codes, level values, ρ, weighting, templates) and its id@version. */
  readonly gas: { readonly table: GasTable; readonly version: string };
  /** N-of-1 trials (issue 22): MCID, design minimums, outcome codes, stop reasons, refused CYP2D6 arms, and its id@version. */
  readonly nof1: { readonly table: Nof1DefaultsTable; readonly version: string; readonly defaults: Nof1Defaults };
  readonly dataVersions: { readonly cyp2d6: string; readonly mme: readonly string[] };
  /** The pharmacokinetic what-if twin (pk-models.json) with the CYP2D6, CPIC and MME tables it uses. */
  readonly twin: WhatIfKnowledge;
}

/** The tables this domain needs, by id, with the parser that validates each one. */
export const PAIN_TABLE_PARSERS = {
  'cyp2d6-activity-values': parseActivityValuesTable,
  'cyp2d6-phenotypes': parsePhenotypesTable,
  'cyp2d6-inhibitors': parseInhibitorsTable,
  'cpic-opioid-recommendations': parseRecommendationsTable,
  'paediatric-codeine-tramadol': parsePaediatricTable,
  'opioid-products': parseProductsTable,
  'opioid-ingredients': parseIngredientsTable,
  'mme-factors-cdc-2022': parseFactorsTable,
  'mme-factors-cdc-2018': parseFactorsTable,
  'opioid-tolerance': parseToleranceTable,
  'opioid-safety-parameters': parseSafetyParametersTable,
  valuesets: parseValueSetTable,
  'override-reasons': parseOverrideReasonsTable,
  'pro-instruments': parseProInstrumentsTable,
  'nondrug-options': parseNonDrugTable,
  'gas-goals': parseGasTable,
  'pk-models': parsePkModelsTable,
  'nof1-defaults': parseNof1DefaultsTable,
} as const;

function table<T>(tables: KnowledgeTables, id: keyof typeof PAIN_TABLE_PARSERS): KnowledgeTable<T> {
  const t = tables.get(id);
  if (!t) throw new Error(`table '${id}' is missing`);
  return t as KnowledgeTable<T>;
}

export function compilePainKnowledge(tables: KnowledgeTables, parameters: ReadonlyMap<string, { readonly value: number | string }>, options: { readonly mmeFactorSets: readonly string[] }): PainKnowledge {
  // The overdose-risk list names a total at or above the level the naloxone rule uses: one number, rules/parameters.json.
  const overdoseRiskMme = parameters.get('mme.reassess')?.value;
  if (typeof overdoseRiskMme !== 'number') throw new Error("rules/parameters.json must define mme.reassess as a number (the naloxone risk factor list uses it)");
  const cyp2d6: Cyp2d6Tables = {
    activity: table(tables, 'cyp2d6-activity-values'),
    phenotypes: table(tables, 'cyp2d6-phenotypes'),
    inhibitors: table(tables, 'cyp2d6-inhibitors'),
    recommendations: table(tables, 'cpic-opioid-recommendations'),
  };
  const factorSets = options.mmeFactorSets.map((id) => {
    const t = tables.get(id);
    if (!t || !('factors' in (t.data as object))) throw new Error(`MME_FACTOR_SETS names '${id}', which is not a factor table in rules/knowledge`);
    return t as KnowledgeTable<FactorTable>;
  });
  const valueSetTable = table<ValueSetTable>(tables, 'valuesets');
  assertValueSets(valueSetTable.data, REQUIRED_VALUE_SETS);
  const mme = compileMmeKnowledge(table(tables, 'opioid-products'), table(tables, 'opioid-ingredients'), factorSets, table(tables, 'opioid-tolerance'), table(tables, 'opioid-safety-parameters'));
  return {
    cyp2d6,
    mme,
    overdoseRiskMme,
    valueSets: compileValueSets(valueSetTable.data),
    overrideReasons: table<OverrideReasonTable>(tables, 'override-reasons').data,
    paediatric: table<PaediatricParameters>(tables, 'paediatric-codeine-tramadol').data,
    pro: compileProKnowledge(table(tables, 'pro-instruments'), table(tables, 'nondrug-options'), parameters),
    gas: (() => {
      const t = table<GasTable>(tables, 'gas-goals');
      return { table: t.data, version: tableCitation(t.meta) };
    })(),
    twin: {
      pk: table<PkModelTable>(tables, 'pk-models'),
      cyp2d6: { activity: cyp2d6.activity.data, phenotypes: cyp2d6.phenotypes.data, inhibitors: cyp2d6.inhibitors.data },
      cyp2d6Meta: [cyp2d6.activity.meta, cyp2d6.phenotypes.meta, cyp2d6.inhibitors.meta],
      mme,
      recommendations: cyp2d6.recommendations,
    },
    nof1: (() => {
      const t = table<Nof1DefaultsTable>(tables, 'nof1-defaults');
      return { table: t.data, version: tableCitation(t.meta), defaults: analysisDefaults(t) };
    })(),
    dataVersions: {
      cyp2d6: [cyp2d6.activity.meta, cyp2d6.phenotypes.meta, cyp2d6.inhibitors.meta].map(tableCitation).join(', '),
      mme: [...factorSets.map((s) => tableCitation(s.meta)), mme.productsVersion, tableCitation(valueSetTable.meta), tableCitation(mme.tolerance.meta), tableCitation(mme.safety.meta)],
    },
  };
}
