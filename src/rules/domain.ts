import type { PatientContext } from '../clinical/patient-context.js';
import type { KnowledgeTable } from '../knowledge/table.js';

/**
 * What the rule layer needs from the clinical layer, and nothing more: the
 * catalog of facts rules may name, the knowledge tables it must load, and the
 * function that computes all facts for one request. Keeps src/rules free of
 * opioid knowledge and src/clinical free of json-rules-engine.
 */
export type FactType = 'number' | 'string' | 'boolean' | 'list' | 'object';

export interface FactDefinition {
  readonly name: string;
  readonly scope: 'patient' | 'order';
  readonly type: FactType;
  readonly description: string;
  /** A typical value: used to render every template in the contract test and `rules:check`. */
  readonly example: unknown;
  /** Unit of a number (MME/day, days, years), checked against the parameters it is compared with. */
  readonly unit?: string;
  /** The longest realistic value (when longer than the example): `rules:check` renders every card with these to find summaries the runtime would cut. */
  readonly longest?: unknown;
}

/** Facts for one hook call: patient-level facts, and one set per order under consideration. */
export interface FactSnapshot {
  readonly patient: Readonly<Record<string, unknown>>;
  readonly orders: readonly { readonly ref: string; readonly facts: Readonly<Record<string, unknown>> }[];
  /** `id@version` of every knowledge table that produced these facts. */
  readonly dataVersions: readonly string[];
}

export type KnowledgeTables = ReadonlyMap<string, KnowledgeTable<unknown>>;

export interface Domain<K = unknown> {
  readonly facts: readonly FactDefinition[];
  /** Parsers by table id; each throws a zod error on a bad payload. Every listed table is required. */
  readonly knowledgeParsers: Readonly<Record<string, (json: unknown) => KnowledgeTable<unknown>>>;
  /** Compiles the loaded tables once per rule-set load (indexes, value-set matchers). */
  readonly compileKnowledge: (tables: KnowledgeTables, parameters: ReadonlyMap<string, { readonly value: number | string }>) => K;
  readonly computeFacts: (context: PatientContext, knowledge: K) => FactSnapshot;
  /** Override reason codes known to the knowledge (cards may only offer these). */
  readonly overrideReason: (knowledge: K, code: string) => { system: string; code: string; display: string } | undefined;
  /** The alert topics a reason can justify (a card offering a reason that cannot quiet it is a rule-set error). */
  readonly overrideReasonTopics: (knowledge: K, code: string) => readonly string[];
  /** Names usable as `{{settings.x}}` in templates, with their values. */
  readonly settings: Readonly<Record<string, string>>;
}
