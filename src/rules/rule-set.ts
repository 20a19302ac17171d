import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { Domain } from './domain.js';
import { readJsonFiles, type JsonFile } from '../knowledge/json-files.js';
import { knowledgeTableSchema, type KnowledgeTable, type KnowledgeTables } from '../knowledge/table.js';
import { jsonPath, type FileProblem } from '../knowledge/problems.js';
import { parametersFile, type Parameter, type Parameters } from './parameters.js';
import { checkNamedConditions, checkRules, checkTemplates, type CheckContext } from './rule-checks.js';
import { cardTemplate, isObject, namedConditionsFile, ruleFile, type ConditionNode, type LoadedRule, type LoadedTemplate } from './schemas.js';

/**
 * Loading and validating rules/, rules/knowledge/ and cards/ as one set.
 * Everything is checked before anything is used, and all problems are
 * reported together, each naming the file and the JSON path inside it.
 */
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

/** Folders under rules/ that hold something other than rules. */
const NON_RULE_FOLDERS = ['knowledge', 'tests', 'schema', 'examples'];

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
  const envelope = knowledgeTableSchema(z.unknown());
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
      if (e instanceof z.ZodError) problems.push(...zodFileProblems(f.file, e));
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



function zodFileProblems(file: string, error: z.ZodError): FileProblem[] {
  return error.issues.map((issue) => ({ file, path: jsonPath(issue.path as PropertyKey[]), message: issue.message }));
}

/** ", did you mean 'x'?" for near misses (typos are the most common mistake). */
