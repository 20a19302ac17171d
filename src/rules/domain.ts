import type { FactDefinition } from '../knowledge/facts.js';
import type { KnowledgeTable, KnowledgeTables } from '../knowledge/table.js';

/**
 * What the rule layer needs to know of a clinical domain, and nothing more: the
 * catalog of facts rules may name, the knowledge tables it must load and how
 * to compile them, the override reasons cards may offer, and the settings and
 * table formatters card templates may use. The facts themselves are computed
 * by the pipeline (src/pipeline/) before the rules run. Keeps src/rules free of
 * opioid knowledge and src/clinical free of json-rules-engine.
 */
export interface Domain<K = unknown> {
  readonly facts: readonly FactDefinition[];
  /** Parsers by table id; each throws a zod error on a bad payload. Every listed table is required. */
  readonly knowledgeParsers: Readonly<Record<string, (json: unknown) => KnowledgeTable<unknown>>>;
  /** Compiles the loaded tables once per rule-set load (indexes, value-set matchers). */
  readonly compileKnowledge: (tables: KnowledgeTables, parameters: ReadonlyMap<string, { readonly value: number | string }>) => K;
  /** Override reason codes known to the knowledge (cards may only offer these). */
  readonly overrideReason: (knowledge: K, code: string) => { system: string; code: string; display: string } | undefined;
  /** The alert topics a reason can justify (a card offering a reason that cannot quiet it is a rule-set error). */
  readonly overrideReasonTopics: (knowledge: K, code: string) => readonly string[];
  /** Names usable as `{{settings.x}}` in templates, with their values. */
  readonly settings: Readonly<Record<string, string>>;
  /** Table formatters (`{{fact|name}}`) the domain registers: the columns of a markdown table built from a list fact. */
  readonly tableFormatters?: Readonly<Record<string, TableFormatter>>;
}

/** A markdown table from a list of records: one column per entry, each cell a plain value (escaped by the renderer). */
export interface TableFormatter {
  readonly columns: readonly { readonly header: string; readonly cell: (row: Readonly<Record<string, unknown>>) => unknown }[];
}
