import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import type { Config } from '../config.js';
import type { ExceptionPolicy } from '../cds/feedback.js';
import type { Domain, FactSnapshot, KnowledgeTables } from '../rules/domain.js';
import type { KnowledgeTable } from '../knowledge/table.js';
import { tableCitation } from '../knowledge/table.js';
import type { RuleRuntime } from '../rules/runtime.js';
import { exceptionFromOverride } from './exceptions.js';
import { FACT_CATALOG } from './facts/catalog.js';
import { dataAvailabilityFacts } from './facts/data-facts.js';
import { exceptionOrderFacts, exceptionPatientFacts, exceptionsOnFile, pdmpReviewedByOverride } from './facts/exception-facts.js';
import { mmeOrderFacts, mmePatientFacts } from './facts/mme-facts.js';
import { pgxPatientFacts } from './facts/pgx-facts.js';
import { compileMmeKnowledge, parseFactorsTable, parseIngredientsTable, parseProductsTable, parseSafetyParametersTable, parseToleranceTable, type FactorTable, type MmeKnowledge } from './mme/index.js';
import { overrideReasonCoding, parseOverrideReasonsTable, type OverrideReasonTable } from './override-reasons.js';
import type { PatientContext } from './patient-context.js';
import { assessCyp2d6, parseActivityValuesTable, parseInhibitorsTable, parsePhenotypesTable, parseRecommendationsTable, type Cyp2d6Tables } from './pgx/index.js';
import { paediatricFacts, parsePaediatricTable, type PaediatricParameters } from './pgx/paediatric.js';
import { assertValueSets, compileValueSets, parseValueSetTable, REQUIRED_VALUE_SETS, type ValueSetTable, type ValueSets } from './valuesets.js';
import { isActiveUse } from './medication.js';

/**
 * The pain-management domain as the rule layer sees it: which tables to load,
 * how to compile them, and how to turn a patient context into facts.
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
  readonly dataVersions: { readonly cyp2d6: string; readonly mme: readonly string[] };
}

const PARSERS = {
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
} as const;

function table<T>(tables: KnowledgeTables, id: keyof typeof PARSERS): KnowledgeTable<T> {
  const t = tables.get(id);
  if (!t) throw new Error(`table '${id}' is missing`);
  return t as KnowledgeTable<T>;
}

export function painDomain(config: Pick<Config, 'mmeFactorSets' | 'pdmpUrl' | 'publicBaseUrl'>): Domain<PainKnowledge> {
  return {
    facts: FACT_CATALOG,
    knowledgeParsers: PARSERS,
    compileKnowledge(tables, parameters) {
      // The overdose-risk list names a total at or above the level the naloxone rule uses: one number, rules/parameters.json.
      const overdoseRiskMme = parameters.get('mme.reassess')?.value;
      if (typeof overdoseRiskMme !== 'number') throw new Error("rules/parameters.json must define mme.reassess as a number (the naloxone risk factor list uses it)");
      const cyp2d6: Cyp2d6Tables = {
        activity: table(tables, 'cyp2d6-activity-values'),
        phenotypes: table(tables, 'cyp2d6-phenotypes'),
        inhibitors: table(tables, 'cyp2d6-inhibitors'),
        recommendations: table(tables, 'cpic-opioid-recommendations'),
      };
      const factorSets = config.mmeFactorSets.map((id) => {
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
        dataVersions: {
          cyp2d6: [cyp2d6.activity.meta, cyp2d6.phenotypes.meta, cyp2d6.inhibitors.meta].map(tableCitation).join(', '),
          mme: [...factorSets.map((s) => tableCitation(s.meta)), mme.productsVersion, tableCitation(valueSetTable.meta), tableCitation(mme.tolerance.meta), tableCitation(mme.safety.meta)],
        },
      };
    },
    computeFacts: computePainFacts,
    overrideReason: (k, code) => overrideReasonCoding(k.overrideReasons, code),
    overrideReasonTopics: (k, code) => k.overrideReasons.reasons.find((r) => r.code === code)?.topics ?? [],
    settings: {
      appLaunchUrl: `${config.publicBaseUrl}/app/launch.html`,
      pdmpUrl: config.pdmpUrl,
    },
  };
}

export function computePainFacts(context: PatientContext, k: PainKnowledge): FactSnapshot {
  const records: (MedicationRequest | MedicationStatement)[] = [...context.medicationRequests, ...context.medicationStatements];
  const active = records.filter(isActiveUse);
  const cyp2d6 = assessCyp2d6({ observations: context.observations, activeMedications: active, resolveMedication: context.resolveMedication }, k.cyp2d6);
  const exceptions = exceptionsOnFile(context, k.overrideReasons);
  const mme = mmePatientFacts(context, records, k, pdmpReviewedByOverride(exceptions, k.overrideReasons));
  // Object.assign rather than spread: V8 copies these large records (50+ keys) an order of magnitude faster.
  const patient = Object.assign(
    {},
    dataAvailabilityFacts(context),
    pgxPatientFacts(cyp2d6, k.cyp2d6),
    paediatricFacts(context, k.valueSets, k.paediatric),
    mme.facts,
    exceptionPatientFacts(exceptions, context.now, { mmeTotal: mme.summary.total, cnsClasses: stringList(mme.facts['cns.classes']) }),
  );
  const orders = context.ordersUnderConsideration.map((order) => {
    const facts = mmeOrderFacts(order, mme.summary, context, k);
    return { ref: facts['order.ref'] as string, facts: Object.assign(facts, exceptionOrderFacts(exceptions, context.now, facts['order.ingredient'] as string | null, patient['cyp2d6.riskPhenotype'] as string | null)) };
  });
  return { patient, orders, dataVersions: [...cyp2d6.dataVersions, ...k.dataVersions.mme] };
}

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** Overrides with a reason become exceptions on file, with the validity of the reason in the current rule set. */
export function exceptionPolicy(rules: RuleRuntime<PainKnowledge>): ExceptionPolicy {
  return (record, card) => exceptionFromOverride(record, card, rules.knowledge.overrideReasons);
}
