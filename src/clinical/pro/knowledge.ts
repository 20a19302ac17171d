import type { KnowledgeTable } from '../../knowledge/table.js';
import { tableCitation } from '../../knowledge/table.js';
import type { Questionnaire } from 'fhir/r4';
import { questionnaireFor } from './questionnaire.js';
import type { NonDrugTable, ProInstrumentTable } from './tables.js';

/**
 * The whole-person knowledge compiled once per rule-set load: the instrument
 * and non-drug tables, and the named parameters (rules/parameters.json) the
 * facts use as well as the rules: referral levels, the long-term therapy and
 * reassessment intervals, the PEG improvement that shows benefit, the trend window.
 */
export interface ProKnowledge {
  readonly instruments: ProInstrumentTable;
  readonly nonDrug: NonDrugTable;
  readonly instrumentsVersion: string;
  /** The Questionnaires the SMART app renders, made once per load from the instrument table. */
  readonly questionnaires: readonly Questionnaire[];
  readonly dataVersions: readonly string[];
  readonly levels: {
    readonly phq9Referral: number;
    readonly phq2Referral: number;
    readonly gad7Referral: number;
    readonly longTermOpioidDays: number;
    readonly reassessIntervalDays: number;
    readonly pegImprovementPercent: number;
    readonly pegBenefitWindowDays: number;
    readonly trendWindowDays: number;
  };
}

const NEEDED = {
  phq9Referral: 'pro.phq9Referral',
  phq2Referral: 'pro.phq2Referral',
  gad7Referral: 'pro.gad7Referral',
  longTermOpioidDays: 'pro.longTermOpioidDays',
  reassessIntervalDays: 'pro.reassessIntervalDays',
  pegImprovementPercent: 'pro.pegImprovementPercent',
  pegBenefitWindowDays: 'pro.pegBenefitWindowDays',
  trendWindowDays: 'pro.trendWindowDays',
} as const;

export function compileProKnowledge(
  instruments: KnowledgeTable<ProInstrumentTable>,
  nonDrug: KnowledgeTable<NonDrugTable>,
  parameters: ReadonlyMap<string, { readonly value: number | string }>,
): ProKnowledge {
  const levels = Object.fromEntries(
    Object.entries(NEEDED).map(([key, name]) => {
      const value = parameters.get(name)?.value;
      if (typeof value !== 'number') throw new Error(`rules/parameters.json must define ${name} as a number (the whole-person facts use it)`);
      return [key, value];
    }),
  ) as unknown as ProKnowledge['levels'];
  return {
    instruments: instruments.data,
    nonDrug: nonDrug.data,
    instrumentsVersion: instruments.meta.version,
    questionnaires: instruments.data.instruments.flatMap((i) => questionnaireFor(instruments.data, i, instruments.meta.version) ?? []),
    dataVersions: [tableCitation(instruments.meta), tableCitation(nonDrug.meta)],
    levels,
  };
}
