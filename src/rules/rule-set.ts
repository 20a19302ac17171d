import { createHash } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import type { FactDefinition } from '../knowledge/facts.js';
import type { KnowledgeTables } from '../knowledge/table.js';
import type { Domain } from './domain.js';
import { readJsonFiles, type JsonFile } from '../knowledge/json-files.js';
import type { KnowledgeTable } from '../knowledge/table.js';
import { knowledgeTableSchema } from '../knowledge/table.js';
import { FORMATTERS, malformedPlaceholders, placeholdersIn } from './placeholders.js';
import { jsonPath, type FileProblem } from '../knowledge/problems.js';
import { isParameterRef, parameterRefProblems, parametersFile, type Parameter, type Parameters } from './parameters.js';
import {
  cardTemplate,
  namedConditionsFile,
  ruleFile,
  type CardTemplate,
  type ConditionNode,
  type RuleDefinition,
} from './schemas.js';
import { z as zod } from 'zod';

/**
 * Loading and validating rules/, rules/knowledge/ and cards/ as one set.
 * Everything is checked before anything is used, and all problems are
 * reported together, each naming the file and the JSON path inside it.
 */
export interface LoadedRule {
  readonly file: string;
  /** Position in the file's `rules` array; undefined when the file is a single rule. */
  readonly index?: number;
  readonly definition: RuleDefinition;
}

export interface LoadedTemplate {
  readonly file: string;
  readonly template: CardTemplate;
}

export interface RuleSetData<K> {
  readonly rules: readonly LoadedRule[];
  readonly namedConditions: Readonly<Record<string, { file: string; condition: ConditionNode }>>;
  readonly templates: ReadonlyMap<string, LoadedTemplate>;
  readonly parameters: Parameters;
  readonly tables: KnowledgeTables;
  readonly knowledge: K;
  readonly dataVersions: readonly string[];
  /** sha-256 (16 hex digits) of every rule, parameter, knowledge table and card file, by path. */
  readonly contentHash: string;
}

export interface RuleSetDirs {
  readonly rulesDir: string;
  readonly cardsDir: string;
}

/** Built-in json-rules-engine operators (json-rules-engine 7 engine-default-operators). */
export const OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;

const NUMERIC_OPERATORS = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

/** Folders under rules/ that hold something other than rules. */
export const NON_RULE_FOLDERS = ['knowledge', 'tests', 'schema', 'examples'];

export function loadRuleSetData<K>(dirs: RuleSetDirs, domain: Domain<K>, serviceIds: readonly string[]): { data?: RuleSetData<K>; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const ruleFiles = readJsonFiles(dirs.rulesDir, 'rules', NON_RULE_FOLDERS);
  const tableFiles = readJsonFiles(path.join(dirs.rulesDir, 'knowledge'), 'rules/knowledge');
  const cardFiles = readJsonFiles(dirs.cardsDir, 'cards');
  problems.push(...ruleFiles.problems, ...tableFiles.problems, ...cardFiles.problems);
  const tables = loadTables(tableFiles.files, domain, problems);

  const namedConditions: Record<string, { file: string; condition: ConditionNode }> = {};
  const rules: LoadedRule[] = [];
  const parameters = new Map<string, Parameter>();
  let parametersFrom: string | undefined;
  for (const f of ruleFiles.files) {
    if (isObject(f.json) && 'parameters' in f.json) {
      const parsed = parametersFile.safeParse(f.json);
      if (!parsed.success) problems.push(...zodFileProblems(f.file, parsed.error));
      else if (parametersFrom) problems.push({ file: f.file, path: 'parameters', message: `parameters are already defined in ${parametersFrom}: keep them in one file` });
      else {
        parametersFrom = f.file;
        for (const [name, p] of Object.entries(parsed.data.parameters)) parameters.set(name, p);
      }
      continue;
    }
    if (isObject(f.json) && 'namedConditions' in f.json) {
      const parsed = namedConditionsFile.safeParse(f.json);
      if (!parsed.success) problems.push(...zodFileProblems(f.file, parsed.error));
      else
        for (const [name, condition] of Object.entries(parsed.data.namedConditions)) {
          if (namedConditions[name]) problems.push({ file: f.file, path: `namedConditions.${name}`, message: `condition '${name}' is already defined in ${namedConditions[name].file}` });
          else namedConditions[name] = { file: f.file, condition: condition as ConditionNode };
        }
      continue;
    }
    const parsed = ruleFile.safeParse(f.json);
    if (!parsed.success) {
      problems.push(...zodFileProblems(f.file, parsed.error));
      continue;
    }
    if ('rules' in parsed.data) parsed.data.rules.forEach((definition, index) => rules.push({ file: f.file, index, definition }));
    else rules.push({ file: f.file, definition: parsed.data });
  }

  let knowledge: K | undefined;
  if (problems.length === 0) {
    try {
      knowledge = domain.compileKnowledge(tables, parameters);
    } catch (e) {
      problems.push({ file: 'rules/knowledge', path: '', message: `tables are inconsistent: ${(e as Error).message}` });
    }
  }

  const templates = new Map<string, LoadedTemplate>();
  for (const f of cardFiles.files) {
    const parsed = cardTemplate.safeParse(f.json);
    if (!parsed.success) {
      problems.push(...zodFileProblems(f.file, parsed.error));
      continue;
    }
    const existing = templates.get(parsed.data.id);
    if (existing) problems.push({ file: f.file, path: 'id', message: `card template '${parsed.data.id}' is already defined in ${existing.file}` });
    else templates.set(parsed.data.id, { file: f.file, template: parsed.data });
  }

  const ctx = { domain, namedConditions, templates, knowledge, problems, parameters, serviceIds: new Set(serviceIds) } as unknown as CheckContext<unknown>;
  checkNamedConditions(ctx);
  checkRules(rules, ctx);
  checkTemplates(templates, ctx);

  if (problems.length > 0 || knowledge === undefined) return { problems };
  const dataVersions = [...tables.values()].map((t) => `${t.meta.id}@${t.meta.version}`).sort();
  const hash = createHash('sha256');
  for (const f of [...ruleFiles.files, ...tableFiles.files, ...cardFiles.files].sort((a, b) => a.file.localeCompare(b.file))) hash.update(`${f.file}\0${f.text}\0`);
  const contentHash = hash.digest('hex').slice(0, 16);
  return { data: { rules, namedConditions, templates, parameters, tables, knowledge, dataVersions, contentHash }, problems };
}

function loadTables<K>(files: JsonFile[], domain: Domain<K>, problems: FileProblem[]): KnowledgeTables {
  const tables = new Map<string, KnowledgeTable<unknown>>();
  const envelope = knowledgeTableSchema(zod.unknown());
  for (const f of files) {
    const meta = envelope.safeParse(f.json);
    if (!meta.success) {
      problems.push(...zodFileProblems(f.file, meta.error));
      continue;
    }
    const id = meta.data.meta.id;
    if (tables.has(id)) {
      problems.push({ file: f.file, path: 'meta.id', message: `table '${id}' is defined twice` });
      continue;
    }
    const parse = domain.knowledgeParsers[id];
    if (!parse) {
      tables.set(id, meta.data as KnowledgeTable<unknown>);
      continue;
    }
    try {
      tables.set(id, parse(f.json));
    } catch (e) {
      if (e instanceof zod.ZodError) problems.push(...zodFileProblems(f.file, e));
      else problems.push({ file: f.file, path: '', message: (e as Error).message });
    }
  }
  for (const id of Object.keys(domain.knowledgeParsers)) {
    if (!tables.has(id) && !problems.some((p) => p.file.startsWith('rules/knowledge/'))) {
      problems.push({ file: 'rules/knowledge', path: '', message: `required table '${id}' is missing` });
    }
  }
  return tables;
}

interface CheckContext<K> {
  readonly domain: Domain<K>;
  readonly namedConditions: Readonly<Record<string, { file: string; condition: ConditionNode }>>;
  readonly templates: ReadonlyMap<string, LoadedTemplate>;
  readonly knowledge: K | undefined;
  readonly problems: FileProblem[];
  readonly parameters: Parameters;
  readonly serviceIds: ReadonlySet<string>;
}

/** A built-in formatter, or a table formatter the domain registered. */
function knownFormatter(name: string, ctx: CheckContext<unknown>): boolean {
  return Object.hasOwn(FORMATTERS, name) || Object.hasOwn(ctx.domain.tableFormatters ?? {}, name);
}

function factIndex(domain: Domain<unknown>): Map<string, FactDefinition> {
  return new Map(domain.facts.map((f) => [f.name, f]));
}

/** Walks a condition tree; reports unknown facts/operators/conditions and returns the facts it uses. */
function checkCondition(node: ConditionNode, at: string, file: string, ctx: CheckContext<unknown>, facts: Map<string, FactDefinition>, used: Set<string>, seen: Set<string> = new Set()): void {
  const problem = (p: string, message: string) => ctx.problems.push({ file, path: p, message });
  if ('all' in node) node.all.forEach((c, i) => checkCondition(c, `${at}.all[${i}]`, file, ctx, facts, used, seen));
  else if ('any' in node) node.any.forEach((c, i) => checkCondition(c, `${at}.any[${i}]`, file, ctx, facts, used, seen));
  else if ('not' in node) checkCondition(node.not, `${at}.not`, file, ctx, facts, used, seen);
  else if ('condition' in node) {
    const named = ctx.namedConditions[node.condition];
    if (!named) problem(`${at}.condition`, `unknown named condition '${node.condition}'${suggest(node.condition, Object.keys(ctx.namedConditions))}`);
    else if (seen.has(node.condition)) problem(`${at}.condition`, `named condition '${node.condition}' refers to itself (a cycle)`);
    else {
      // Facts used through a named condition count for the rule that uses it; its own problems are reported once, at its definition.
      const quiet: CheckContext<unknown> = { ...ctx, problems: [] };
      checkCondition(named.condition, '', named.file, quiet, facts, used, new Set([...seen, node.condition]));
    }
  } else {
    const def = facts.get(node.fact);
    if (!def) problem(`${at}.fact`, `unknown fact '${node.fact}'${suggest(node.fact, [...facts.keys()])}`);
    else used.add(node.fact);
    if (!(OPERATORS as readonly string[]).includes(node.operator)) problem(`${at}.operator`, `unknown operator '${node.operator}'${suggest(node.operator, OPERATORS)}`);
    if (isParameterRef(node.value)) {
      for (const message of parameterRefProblems(node.value, def, NUMERIC_OPERATORS.has(node.operator), ctx.parameters)) problem(`${at}.value.parameter`, message);
    } else if (NUMERIC_OPERATORS.has(node.operator) && typeof node.value !== 'number' && !isFactRef(node.value)) problem(`${at}.value`, `operator '${node.operator}' needs a number`);
    if ((node.operator === 'in' || node.operator === 'notIn') && !Array.isArray(node.value) && !isFactRef(node.value)) problem(`${at}.value`, `operator '${node.operator}' needs a list`);
    if (isFactRef(node.value)) {
      const ref = node.value.fact;
      if (!facts.has(ref)) problem(`${at}.value.fact`, `unknown fact '${ref}'`);
      else used.add(ref);
    }
    if (def && node.path !== undefined && def.type !== 'object') problem(`${at}.path`, `fact '${node.fact}' is a ${def.type}; path only applies to objects`);
  }
}

function checkNamedConditions(ctx: CheckContext<unknown>): void {
  const facts = factIndex(ctx.domain);
  for (const [name, { file, condition }] of Object.entries(ctx.namedConditions)) {
    checkCondition(condition, `namedConditions.${name}`, file, ctx, facts, new Set(), new Set([name]));
  }
}

function checkRules(rules: LoadedRule[], ctx: CheckContext<unknown>): void {
  const facts = factIndex(ctx.domain);
  const ids = new Map<string, string>();
  const ruleIds = new Set(rules.map((r) => r.definition.id));
  rules.forEach(({ file, index, definition: rule }) => {
    const at = index === undefined ? '' : `rules[${index}].`;
    const problem = (p: string, message: string) => ctx.problems.push({ file, path: `${at}${p}`, message });
    const earlier = ids.get(rule.id);
    if (earlier) problem('id', `rule id '${rule.id}' is already used in ${earlier}`);
    ids.set(rule.id, file);
    for (const [i, s] of rule.services.entries()) if (!ctx.serviceIds.has(s)) problem(`services[${i}]`, `unknown service '${s}'`);
    for (const [i, s] of (rule.supersedes ?? []).entries()) if (!ruleIds.has(s)) problem(`supersedes[${i}]`, `unknown rule '${s}'`);
    const used = new Set<string>();
    checkCondition(rule.conditions as ConditionNode, `${at}conditions`.replace(/^\./, ''), file, ctx, facts, used);
    if (rule.scope === 'patient') {
      for (const f of used) if (facts.get(f)?.scope === 'order') problem('scope', `a patient-scope rule cannot use the order fact '${f}'; make it "scope": "order"`);
    }
    for (const [key, value] of Object.entries(rule.event.params)) {
      if (typeof value !== 'string') continue;
      for (const ph of placeholdersIn(value)) {
        const where = `event.params.${key}`;
        if (ph.formatter && !knownFormatter(ph.formatter, ctx)) problem(where, `unknown formatter '${ph.formatter}' in ${ph.raw}`);
        if (ph.name.startsWith('params.')) problem(where, `a parameter cannot refer to another parameter (${ph.raw})`);
        else if (ph.name.startsWith('settings.')) {
          if (!Object.hasOwn(ctx.domain.settings, ph.name.slice(9))) problem(where, `unknown setting in ${ph.raw}`);
        } else if (ph.name.startsWith('parameters.')) {
          if (!ctx.parameters.has(ph.name.slice(11))) problem(where, `unknown parameter in ${ph.raw} (see rules/parameters.json)`);
        } else if (!facts.has(ph.name)) problem(where, `placeholder ${ph.raw} has no value source${suggest(ph.name, [...facts.keys()])}`);
        else if (facts.get(ph.name)!.scope === 'order' && rule.scope === 'patient') problem(where, `a patient-scope rule cannot use the order fact ${ph.raw}`);
      }
      for (const bad of malformedPlaceholders(value)) problem(`event.params.${key}`, `malformed placeholder ${bad}`);
    }
    const template = ctx.templates.get(rule.event.card);
    if (!template) {
      problem('event.card', `unknown card template '${rule.event.card}'${suggest(rule.event.card, [...ctx.templates.keys()])}`);
      return;
    }
    // Every placeholder of the template must have a value source for this rule.
    for (const { field, text } of templateTexts(template.template)) {
      for (const ph of placeholdersIn(text)) {
        const [root, ...rest] = ph.name.split('.');
        if (root === 'params') {
          if (!Object.hasOwn(rule.event.params, rest.join('.'))) {
            problem('event.params', `card template '${template.template.id}' uses {{${ph.name}}} in ${field}, but this rule gives no '${rest.join('.')}' parameter`);
          }
        } else if (facts.get(ph.name)?.scope === 'order' && rule.scope === 'patient') {
          problem('event.card', `card template '${template.template.id}' uses the order fact {{${ph.name}}} in ${field}; only order-scope rules can use it`);
        }
      }
    }
  });
}

function checkTemplates(templates: ReadonlyMap<string, LoadedTemplate>, ctx: CheckContext<unknown>): void {
  const facts = factIndex(ctx.domain);
  for (const { file, template } of templates.values()) {
    for (const { field, text } of templateTexts(template)) {
      for (const bad of malformedPlaceholders(text)) ctx.problems.push({ file, path: field, message: `malformed placeholder ${bad}` });
      for (const ph of placeholdersIn(text)) {
        const [root, ...rest] = ph.name.split('.');
        if (ph.formatter && !knownFormatter(ph.formatter, ctx)) {
          ctx.problems.push({ file, path: field, message: `unknown formatter '${ph.formatter}' in ${ph.raw}${suggest(ph.formatter, [...Object.keys(FORMATTERS), ...Object.keys(ctx.domain.tableFormatters ?? {})])}` });
        }
        if (root === 'params') continue;
        if (root === 'settings') {
          if (!Object.hasOwn(ctx.domain.settings, rest.join('.'))) ctx.problems.push({ file, path: field, message: `unknown setting in ${ph.raw}; known: ${Object.keys(ctx.domain.settings).join(', ')}` });
          continue;
        }
        if (root === 'parameters') {
          if (!ctx.parameters.has(rest.join('.'))) ctx.problems.push({ file, path: field, message: `unknown parameter in ${ph.raw} (see rules/parameters.json)${suggest(rest.join('.'), [...ctx.parameters.keys()])}` });
          continue;
        }
        if (!facts.has(ph.name)) ctx.problems.push({ file, path: field, message: `placeholder ${ph.raw} has no value source (not a fact, params.* or settings.*)${suggest(ph.name, [...facts.keys()])}` });
      }
    }
    for (const [i, name] of (template.provenance ?? []).entries()) {
      if (!facts.has(name)) ctx.problems.push({ file, path: `provenance[${i}]`, message: `unknown fact '${name}'${suggest(name, [...facts.keys()])}` });
    }
    if (ctx.knowledge !== undefined) {
      for (const [i, code] of (template.overrideReasons ?? []).entries()) {
        if (!ctx.domain.overrideReason(ctx.knowledge, code)) {
          ctx.problems.push({ file, path: `overrideReasons[${i}]`, message: `unknown override reason '${code}' (see rules/knowledge/override-reasons.json)` });
          continue;
        }
        const topic = template.source.topic?.code;
        const topics = ctx.domain.overrideReasonTopics(ctx.knowledge, code);
        if (topic && !topics.includes(topic)) {
          ctx.problems.push({ file, path: `overrideReasons[${i}]`, message: `override reason '${code}' cannot justify a '${topic}' alert (its topics in rules/knowledge/override-reasons.json: ${topics.join(', ')})` });
        }
      }
    }
    if ((template.suggestions?.filter((s) => s.isRecommended).length ?? 0) > 1 && template.selectionBehavior !== 'any') {
      ctx.problems.push({ file, path: 'suggestions', message: 'at most one suggestion can be recommended when selectionBehavior is at-most-one' });
    }
  }
}

/** Every string of a template that may hold placeholders, with its JSON path. */
export function templateTexts(t: CardTemplate): { field: string; text: string }[] {
  const out: { field: string; text: string }[] = [
    { field: 'indicator', text: t.indicator },
    { field: 'summary', text: t.summary },
    { field: 'source.label', text: t.source.label },
  ];
  if (t.detail) out.push({ field: 'detail', text: t.detail });
  t.suggestions?.forEach((s, i) => {
    out.push({ field: `suggestions[${i}].label`, text: s.label });
    s.actions.forEach((a, j) => {
      const at = `suggestions[${i}].actions[${j}]`;
      out.push({ field: `${at}.description`, text: a.description });
      if (a.type === 'delete') out.push({ field: `${at}.resourceId`, text: a.resourceId });
      else {
        const m = a.medicationRequest;
        out.push(
          { field: `${at}.medicationRequest.medication.system`, text: m.medication.system },
          { field: `${at}.medicationRequest.medication.code`, text: m.medication.code },
          { field: `${at}.medicationRequest.medication.display`, text: m.medication.display },
        );
        if (m.sig) out.push({ field: `${at}.medicationRequest.sig`, text: m.sig });
      }
    });
  });
  t.links?.forEach((l, i) => {
    out.push({ field: `links[${i}].label`, text: l.label }, { field: `links[${i}].url`, text: l.url });
    if (l.appContext) out.push({ field: `links[${i}].appContext`, text: l.appContext });
  });
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFactRef(v: unknown): v is { fact: string } {
  return isObject(v) && typeof v.fact === 'string';
}

function zodFileProblems(file: string, error: z.ZodError): FileProblem[] {
  return error.issues.map((issue) => ({ file, path: jsonPath(issue.path as PropertyKey[]), message: issue.message }));
}

/** ", did you mean 'x'?" for near misses (typos are the most common mistake). */
function suggest(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? `; did you mean '${best}'?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
