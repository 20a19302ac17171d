import type { FactDefinition } from '../knowledge/facts.js';
import { walkConditions, type FactCondition } from './conditions.js';
import type { Domain } from './domain.js';
import { isParameterRef, parameterRefProblems, type Parameters } from './parameters.js';
import { FORMATTERS, malformedPlaceholders, placeholdersIn } from './placeholders.js';
import type { FileProblem } from '../knowledge/problems.js';
import { isObject, OPERATORS, templateTexts, type LoadedRule, type LoadedTemplate } from './schemas.js';
import type { ConditionNode } from './schemas.js';

/**
 * The cross-file checks of a rule set, run after every file parsed: facts,
 * operators, named conditions and parameters of each condition; services,
 * supersedes and template placeholders of each rule; formatters, settings,
 * provenance facts and override reasons of each template. Every problem names
 * the file and the JSON path, with "did you mean" where a name is close.
 */
const NUMERIC_OPERATORS = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

export interface CheckContext<K> {
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

/** Checks a condition tree: unknown facts, operators, named conditions and parameters; adds the facts it uses to `used`. */
function checkCondition(root: ConditionNode, at: string, file: string, ctx: CheckContext<unknown>, facts: Map<string, FactDefinition>, used: Set<string>, seen: Set<string> = new Set()): void {
  const problem = (p: string, message: string) => ctx.problems.push({ file, path: p, message });
  walkConditions(
    root,
    (node, path) => {
      if ('condition' in node) {
        const named = ctx.namedConditions[node.condition];
        if (!named) problem(`${path}.condition`, `unknown named condition '${node.condition}'${suggest(node.condition, Object.keys(ctx.namedConditions))}`);
        else if (seen.has(node.condition)) problem(`${path}.condition`, `named condition '${node.condition}' refers to itself (a cycle)`);
        // Facts used through a named condition count for the rule that uses it; its own problems are reported once, at its definition.
        else checkCondition(named.condition, '', named.file, { ...ctx, problems: [] }, facts, used, new Set([...seen, node.condition]));
      } else if ('fact' in node) checkFactCondition(node, path, problem, ctx, facts, used);
    },
    at,
  );
}

function checkFactCondition(node: FactCondition, at: string, problem: (path: string, message: string) => void, ctx: CheckContext<unknown>, facts: Map<string, FactDefinition>, used: Set<string>): void {
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

export function checkNamedConditions(ctx: CheckContext<unknown>): void {
  const facts = factIndex(ctx.domain);
  for (const [name, { file, condition }] of Object.entries(ctx.namedConditions)) {
    checkCondition(condition, `namedConditions.${name}`, file, ctx, facts, new Set(), new Set([name]));
  }
}

export function checkRules(rules: LoadedRule[], ctx: CheckContext<unknown>): void {
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

export function checkTemplates(templates: ReadonlyMap<string, LoadedTemplate>, ctx: CheckContext<unknown>): void {
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
function isFactRef(v: unknown): v is { fact: string } {
  return isObject(v) && typeof v.fact === 'string';
}

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
