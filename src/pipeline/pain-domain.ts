import type { Config } from '../config.js';
import { exceptionFromOverride } from '../clinical/exceptions.js';
import { CARD_TABLES } from '../clinical/card-tables.js';
import { FACT_CATALOG } from '../clinical/facts/catalog.js';
import { compilePainKnowledge, PAIN_TABLE_PARSERS, type PainKnowledge } from '../clinical/knowledge.js';
import { overrideReasonCoding } from '../clinical/override-reasons.js';
import type { Domain } from '../rules/domain.js';
import type { RuleRuntime } from '../rules/runtime.js';
import type { ExceptionPolicy } from './feedback.js';

/**
 * The pain-management domain plugged into the rule layer: its fact catalog,
 * the knowledge tables to load and how to compile them, its override reasons
 * and the settings card templates may name. The rule layer knows no opioid;
 * this is where it meets the clinical layer.
 */
export function painDomain(config: Pick<Config, 'mmeFactorSets' | 'pdmpUrl' | 'publicBaseUrl' | 'crisisUrl'>): Domain<PainKnowledge> {
  return {
    facts: FACT_CATALOG,
    knowledgeParsers: PAIN_TABLE_PARSERS,
    compileKnowledge: (tables, parameters) => compilePainKnowledge(tables, parameters, { mmeFactorSets: config.mmeFactorSets }),
    overrideReason: (k, code) => overrideReasonCoding(k.overrideReasons, code),
    overrideReasonTopics: (k, code) => k.overrideReasons.reasons.find((r) => r.code === code)?.topics ?? [],
    tableFormatters: CARD_TABLES,
    settings: {
      appLaunchUrl: `${config.publicBaseUrl}/app/launch.html`,
      pdmpUrl: config.pdmpUrl,
      crisisUrl: config.crisisUrl,
    },
  };
}

/** Overrides with a reason become exceptions on file, with the validity of the reason in the current rule set. */
export function exceptionPolicy(rules: RuleRuntime<PainKnowledge>): ExceptionPolicy {
  return (record, card) => exceptionFromOverride(record, card, rules.knowledge.overrideReasons);
}
