import { Engine, Fact, type RuleProperties, type RuleResult, type TopLevelCondition } from 'json-rules-engine';
import type { Card } from '../cds/types.js';
import type { FactSnapshot } from '../knowledge/facts.js';
import type { Domain } from './domain.js';
import type { FileProblem } from '../knowledge/problems.js';
import { RuleSetError } from './problems.js';
import { renderCard } from './render.js';
import { loadRuleSetData, type RuleSetData, type RuleSetDirs } from './rule-set.js';
import { templateTexts, type LoadedRule } from './schemas.js';
import { compileConditions, ruleGate, type Gate, type Predicate } from './compiled.js';
import { mapConditions, walkConditions } from './conditions.js';
import { parametersOf, withParameterValues } from './parameters.js';
import type { ConditionNode } from './schemas.js';
import { placeholdersIn } from './placeholders.js';

/**
 * Runs the loaded rule set for a hook call.
 *
 * json-rules-engine keeps run status on the Engine instance (a finished run
 * sets it to FINISHED, which makes a concurrent run skip its remaining
 * priority sets), so an Engine is never shared by two runs at once: each
 * (service, scope) has engine pools built from rules parsed once at load time;
 * a run borrows an engine and gives it back. Rules whose gate is closed (see
 * ruleGate) are not handed to the engine at all. A rule set is immutable; reload
 * builds a new one and swaps a single reference, so a request sees either the
 * old set or the new one, never a mix.
 */
export interface RuleTrace {
  readonly ruleId: string;
  readonly subject: string;
  readonly fired: boolean;
  readonly conditions: unknown;
  /** Values of the named parameters (rules/parameters.json) the rule used. */
  readonly parameters: Readonly<Record<string, number | string>>;
}

/** The cards of one call, in order (critical first), and the per-rule trace when asked for. */
export interface Decision {
  readonly cards: Card[];
  /** Per-rule explanation, only produced when debug was asked for. */
  readonly trace?: readonly RuleTrace[];
}

export interface DecideInput {
  readonly serviceId: string;
  /** The facts of this call, computed from the knowledge of the same serving set (see `serving()`). */
  readonly facts: FactSnapshot;
  /** Patient of the call (the subject of the orders suggestions create). */
  readonly patientId: string;
  readonly debug: boolean;
}

/** One rule set as it serves a call: the knowledge the facts are computed with and the rules that decide on them, never mixed with another set. */
export interface ServingRuleSet<K> {
  readonly knowledge: K;
  decide(input: DecideInput): Promise<Decision>;
}

export interface RuleSetSummary {
  readonly loadedAt: string;
  /** Content hash of the served files (also in every card's provenance). */
  readonly contentHash: string;
  readonly rules: number;
  readonly rulesByService: Record<string, number>;
  readonly templates: number;
  readonly tables: string[];
}

interface CompiledRuleSet<K> {
  readonly data: RuleSetData<K>;
  readonly loadedAt: Date;
  readonly groups: ReadonlyMap<string, RuleGroup>;
  readonly rulesById: ReadonlyMap<string, LoadedRule>;
  /** Facts each rule records in its card's provenance: those its conditions and template use. */
  readonly provenanceFacts: ReadonlyMap<string, readonly string[]>;
  /** Parameter values each rule used (conditions and card text), recorded in its card's provenance. */
  readonly parametersUsed: ReadonlyMap<string, Readonly<Record<string, number | string>>>;
  /** Position of each rule in the rule files (ties in card order). */
  readonly ruleOrder: ReadonlyMap<string, number>;
}

/** Engines for one subset of a group's rules; an Engine serves one run at a time. */
class EnginePool {
  private readonly idle: Engine[] = [];
  private readonly factNames: readonly string[];

  constructor(private readonly rules: readonly RuleProperties[], factNames: Iterable<string>) {
    this.factNames = [...factNames];
  }

  async run<T>(facts: Readonly<Record<string, unknown>>, use: (result: Awaited<ReturnType<Engine['run']>>) => T): Promise<T> {
    const engine = this.idle.pop() ?? this.build();
    // Precomputed values: no fact caching (it would hash every value on every run).
    const runtimeFacts: Record<string, Fact> = {};
    for (const name of this.factNames) {
      // Every fact a rule names is computed for every call (a test checks the producers against the catalog): a missing one is a defect, never a silent null.
      if (!(name in facts)) throw new Error(`fact '${name}' was not computed`);
      runtimeFacts[name] = new Fact(name, facts[name] ?? null, { cache: false });
    }
    try {
      return use(await engine.run(runtimeFacts));
    } finally {
      this.idle.push(engine);
    }
  }

  private build(): Engine {
    const engine = new Engine([], { allowUndefinedFacts: false });
    for (const rule of this.rules) engine.addRule(rule);
    return engine;
  }
}

interface GroupRule {
  readonly properties: RuleProperties;
  readonly gate: Gate;
  readonly facts: ReadonlySet<string>;
  /** The conditions as a plain predicate (see compiled.ts); undefined when only the engine can decide the rule. */
  readonly predicate: Predicate | undefined;
}

/**
 * The rules of one (service, scope). A run hands json-rules-engine only the
 * rules whose gate passes (all of them when a trace is asked for), with an
 * engine pool per such subset, built on first use. The subsets met in
 * practice are few; the cache is bounded all the same.
 */
class RuleGroup {
  private readonly pools = new Map<string, EnginePool>();
  private static readonly MAX_POOLS = 256;

  constructor(private readonly rules: readonly GroupRule[]) {}

  get size(): number {
    return this.rules.length;
  }

  /** The rules that fire on these facts, decided by their compiled predicates (undefined if a rule needs the engine). */
  fired(facts: Readonly<Record<string, unknown>>): string[] | undefined {
    const out: string[] = [];
    for (const r of this.rules) {
      if (!r.gate(facts)) continue;
      if (!r.predicate) return undefined;
      if (r.predicate(facts)) out.push(r.properties.name as string);
    }
    return out;
  }

  async run<T>(facts: Readonly<Record<string, unknown>>, everyRule: boolean, use: (result: Awaited<ReturnType<Engine['run']>>) => T): Promise<T | undefined> {
    const chosen: number[] = [];
    this.rules.forEach((r, i) => {
      if (everyRule || r.gate(facts)) chosen.push(i);
    });
    if (chosen.length === 0) return undefined;
    const key = chosen.join(',');
    let pool = this.pools.get(key);
    if (!pool) {
      if (this.pools.size >= RuleGroup.MAX_POOLS) this.pools.clear();
      const rules = chosen.map((i) => this.rules[i]!);
      pool = new EnginePool(
        rules.map((r) => r.properties),
        new Set(rules.flatMap((r) => [...r.facts])),
      );
      this.pools.set(key, pool);
    }
    return pool.run(facts, use);
  }
}

export class RuleRuntime<K> {
  private current: CompiledRuleSet<K>;
  private lastReloadProblems: readonly FileProblem[] = [];
  private lastReloadAt: Date | undefined;

  private constructor(
    private readonly dirs: RuleSetDirs,
    private readonly domain: Domain<K>,
    private readonly serviceIds: readonly string[],
    initial: CompiledRuleSet<K>,
  ) {
    this.current = initial;
  }

  /** Loads and validates everything; throws RuleSetError listing every problem. */
  static load<K>(dirs: RuleSetDirs, domain: Domain<K>, serviceIds: readonly string[]): RuleRuntime<K> {
    return new RuleRuntime(dirs, domain, serviceIds, compile(dirs, domain, serviceIds));
  }

  /**
   * Re-reads the files. A valid set is first checked by `verify` (the rule
   * scenarios, run against the candidate set); only a set that passes replaces
   * the current one. An invalid or failing set is rejected, and the current
   * one keeps serving.
   */
  async reload(verify?: (candidate: RuleRuntime<K>) => Promise<readonly FileProblem[]>): Promise<{ ok: true; summary: RuleSetSummary } | { ok: false; problems: readonly FileProblem[] }> {
    this.lastReloadAt = new Date();
    let candidate: CompiledRuleSet<K>;
    try {
      candidate = compile(this.dirs, this.domain, this.serviceIds);
    } catch (e) {
      if (!(e instanceof RuleSetError)) throw e;
      return this.rejected(e.problems);
    }
    const problems = verify ? await verify(new RuleRuntime(this.dirs, this.domain, this.serviceIds, candidate)) : [];
    if (problems.length > 0) return this.rejected(problems);
    this.current = candidate;
    this.lastReloadProblems = [];
    return { ok: true, summary: this.summary() };
  }

  private rejected(problems: readonly FileProblem[]): { ok: false; problems: readonly FileProblem[] } {
    this.lastReloadProblems = problems;
    return { ok: false, problems };
  }

  get knowledge(): K {
    return this.current.data.knowledge;
  }

  get data(): RuleSetData<K> {
    return this.current.data;
  }

  summary(): RuleSetSummary {
    const { data, loadedAt } = this.current;
    const rulesByService: Record<string, number> = {};
    for (const { definition } of data.rules) {
      if (!definition.enabled) continue;
      for (const s of definition.services) rulesByService[s] = (rulesByService[s] ?? 0) + 1;
    }
    return {
      loadedAt: loadedAt.toISOString(),
      contentHash: data.contentHash,
      rules: data.rules.filter((r) => r.definition.enabled).length,
      rulesByService,
      templates: data.templates.size,
      tables: [...data.dataVersions],
    };
  }

  /** For /healthz: what is serving, and whether the last reload was rejected (with why): then the served set is older than the files. */
  health(): { status: 'ok' | 'degraded' } & Record<string, unknown> {
    return {
      status: this.lastReloadProblems.length > 0 ? 'degraded' : 'ok',
      rules: this.summary(),
      ...(this.lastReloadProblems.length > 0
        ? { rulesReload: { status: 'rejected', at: this.lastReloadAt?.toISOString(), problems: this.lastReloadProblems.slice(0, 20) } }
        : {}),
    };
  }

  /** The set serving now, for one call: compute the facts with its knowledge, then let it decide. */
  serving(): ServingRuleSet<K> {
    const set = this.current;
    return { knowledge: set.data.knowledge, decide: (input) => decide(set, this.domain, input) };
  }
}

async function decide<K>(set: CompiledRuleSet<K>, domain: Domain<K>, input: DecideInput): Promise<Decision> {
  const snapshot = input.facts;
  const trace: RuleTrace[] = [];
  const fired: { rule: LoadedRule; subject: string; facts: Record<string, unknown> }[] = [];

  const runScope = async (scope: 'patient' | 'order', subject: string, facts: Record<string, unknown>) => {
    const group = set.groups.get(`${input.serviceId}|${scope}`);
    if (!group || group.size === 0) return;
    // The compiled predicates decide; json-rules-engine runs when a trace is asked for (or a rule needs it).
    const ids = input.debug ? undefined : group.fired(facts);
    if (ids) {
      for (const id of ids) fired.push({ rule: set.rulesById.get(id)!, subject, facts });
      return;
    }
    await group.run(facts, input.debug, (result) => {
      for (const r of result.results) fired.push({ rule: set.rulesById.get(r.name as string)!, subject, facts });
      if (input.debug) for (const r of [...result.results, ...result.failureResults]) trace.push(traceOf(r, subject, set.parametersUsed.get(String(r.name)) ?? {}));
    });
  };

  // The snapshot is this call's own; an order's facts are looked up over the patient's
  // (prototype chain) instead of copying 50+ patient facts for every order.
  const patientFacts = snapshot.patient as Record<string, unknown>;
  await runScope('patient', 'patient', patientFacts);
  for (const order of snapshot.orders) await runScope('order', order.ref, Object.assign(Object.create(patientFacts) as Record<string, unknown>, order.facts));

  const superseded = new Set<string>();
  for (const f of fired) for (const s of f.rule.definition.supersedes ?? []) superseded.add(`${s}|${f.subject}`);
  const cards: { card: Card; priority: number; order: number }[] = [];
  for (const f of fired) {
    if (superseded.has(`${f.rule.definition.id}|${f.subject}`)) continue;
    const rule = f.rule.definition;
    const template = set.data.templates.get(rule.event.card)!.template;
    const card = renderCard({
      template,
      rule,
      facts: f.facts,
      settings: domain.settings,
      parameters: set.data.parameters,
      tableFormatters: domain.tableFormatters ?? {},
      overrideReason: (code) => domain.overrideReason(set.data.knowledge, code),
      dataVersions: snapshot.dataVersions,
      provenanceFacts: set.provenanceFacts.get(rule.id) ?? [],
      provenanceParameters: set.parametersUsed.get(rule.id) ?? {},
      ruleSet: set.data.contentHash,
      subject: f.subject,
      patientId: input.patientId,
    });
    cards.push({ card, priority: rule.priority, order: set.ruleOrder.get(rule.id)! });
  }
  // Critical first, then higher priority, then the order of the rule files: the same order whichever way the rules were decided.
  cards.sort((a, b) => severity(b.card) - severity(a.card) || b.priority - a.priority || a.order - b.order);
  return { cards: cards.map((c) => c.card), ...(input.debug ? { trace } : {}) };
}

function compile<K>(dirs: RuleSetDirs, domain: Domain<K>, serviceIds: readonly string[]): CompiledRuleSet<K> {
  const { data, problems } = loadRuleSetData(dirs, domain, serviceIds);
  if (!data) throw new RuleSetError(problems);
  const grouped = new Map<string, GroupRule[]>();
  const provenanceFacts = new Map<string, string[]>();
  const parametersUsed = new Map<string, Record<string, number | string>>();
  const factNames = new Set(domain.facts.map((f) => f.name));
  for (const { definition: rule } of data.rules) {
    const inlinedConditions = inlineConditions(rule.conditions as ConditionNode, data);
    const facts = new Set<string>();
    walkConditions(inlinedConditions, (node) => {
      if ('fact' in node) facts.add(node.fact);
    });
    // Provenance: the facts the conditions read, those the template and parameters show, and those the template names.
    const used = new Set(facts);
    const template = data.templates.get(rule.event.card)!.template;
    for (const { text } of templateTexts(template)) for (const ph of placeholdersIn(text)) if (factNames.has(ph.name)) used.add(ph.name);
    for (const value of Object.values(rule.event.params)) if (typeof value === 'string') for (const ph of placeholdersIn(value)) if (factNames.has(ph.name)) used.add(ph.name);
    for (const name of template.provenance ?? []) used.add(name);
    provenanceFacts.set(rule.id, [...used].sort());

    // Named conditions are inlined and parameters replaced by their values once here, rather than resolved (and cloned) by the engine on every run.
    const inlined = withParameterValues(inlinedConditions, data.parameters);
    const parameterNames = parametersOf(inlinedConditions);
    const texts = [...templateTexts(template).map((t) => t.text), ...Object.values(rule.event.params).filter((v): v is string => typeof v === 'string')];
    for (const text of texts) for (const ph of placeholdersIn(text)) if (ph.name.startsWith('parameters.')) parameterNames.add(ph.name.slice('parameters.'.length));
    parametersUsed.set(rule.id, Object.fromEntries([...parameterNames].sort().map((n) => [n, data.parameters.get(n)!.value])));
    if (!rule.enabled) continue;
    const groupRule: GroupRule = {
      properties: { name: rule.id, priority: rule.priority, conditions: inlined as TopLevelCondition, event: { type: rule.id } },
      gate: ruleGate(inlined),
      facts,
      predicate: compileConditions(inlined),
    };
    for (const service of rule.services) {
      const key = `${service}|${rule.scope}`;
      const list = grouped.get(key);
      if (list) list.push(groupRule);
      else grouped.set(key, [groupRule]);
    }
  }
  const groups = new Map<string, RuleGroup>();
  for (const [key, rules] of grouped) groups.set(key, new RuleGroup(rules));
  return { data, loadedAt: new Date(), groups, rulesById: new Map(data.rules.map((r) => [r.definition.id, r])), provenanceFacts, parametersUsed, ruleOrder: new Map(data.rules.map((r, i) => [r.definition.id, i])) };
}

/** The tree with named conditions replaced by their definitions (done once per load, not by the engine on every run). */
function inlineConditions(node: ConditionNode, data: RuleSetData<unknown>): ConditionNode {
  return mapConditions(node, (leaf) => ('condition' in leaf ? inlineConditions(data.namedConditions[leaf.condition]!.condition, data) : { ...leaf }));
}

function severity(card: Card): number {
  return card.indicator === 'critical' ? 3 : card.indicator === 'warning' ? 2 : 1;
}

function traceOf(result: RuleResult, subject: string, parameters: Readonly<Record<string, number | string>>): RuleTrace {
  const json = result.toJSON(false) as unknown as { conditions: unknown; result: boolean; name: string };
  return { ruleId: String(json.name), subject, fired: Boolean(json.result), conditions: json.conditions, parameters };
}
