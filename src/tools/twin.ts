import fs from 'node:fs';
import path from 'node:path';
import { jsonSyntaxMessage } from '../knowledge/json-files.js';
import type { KnowledgeMeta } from '../knowledge/table.js';
import { parseActivityValuesTable, parseInhibitorsTable, parsePhenotypesTable } from '../clinical/pgx/index.js';
import { Cyp2d6InputError, describeIssues, parsePkModelsTable, runTwin, twinInputSchema, TwinInputError, type TwinKnowledge } from '../clinical/twin/index.js';
import { PROJECT_ROOT } from '../paths.js';

/**
 * `npm run -s twin -- simulate FILE.json`: the pharmacokinetic what-if of one
 * regimen (see rules/knowledge/pk-models.json). Prints JSON on stdout.
 * Exit 2: usage. Exit 1: the file or a field is wrong (one line naming it), or a
 * knowledge table cannot be read. Never a stack trace.
 */
const USAGE = 'usage: npm run -s twin -- simulate FILE.json\n  FILE.json: {"drug": "codeine", "doseMg": 60, "intervalHours": 6, "days": 3, "weightKg": 70, "cyp2d6": {"activityScore": 2}, "inhibitors": ["paroxetine"]}';

function fail(code: 1 | 2, message: string): never {
  console.error(message);
  process.exit(code);
}

function readJson(file: string, label: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    fail(1, `${label}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(1, `${label}: is not valid JSON: ${jsonSyntaxMessage(e as Error, text)}`);
  }
}

function loadKnowledge(): TwinKnowledge {
  const dir = path.join(path.resolve(process.env.RULES_DIR ?? path.join(PROJECT_ROOT, 'rules')), 'knowledge');
  const load = <T>(name: string, parse: (json: unknown) => T): T => {
    const file = path.join(dir, `${name}.json`);
    try {
      return parse(readJson(file, file));
    } catch (e) {
      fail(1, `${file}: not a valid ${name} table: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  const pk = load('pk-models', parsePkModelsTable);
  const activity = load('cyp2d6-activity-values', parseActivityValuesTable);
  const phenotypes = load('cyp2d6-phenotypes', parsePhenotypesTable);
  const inhibitors = load('cyp2d6-inhibitors', parseInhibitorsTable);
  const cyp2d6Meta: KnowledgeMeta[] = [activity.meta, phenotypes.meta, inhibitors.meta];
  return { pk, cyp2d6: { activity: activity.data, phenotypes: phenotypes.data, inhibitors: inhibitors.data }, cyp2d6Meta };
}

const [command, file, ...rest] = process.argv.slice(2);
if (command === '--help' || command === '-h') {
  console.log(USAGE);
  process.exit(0);
}
if (command !== 'simulate' || !file || rest.length > 0) fail(2, command && command !== 'simulate' ? `unknown command "${command}"\n${USAGE}` : USAGE);

const raw = readJson(file, file);
const parsed = twinInputSchema.safeParse(raw);
if (!parsed.success) fail(1, describeIssues(parsed.error).map((line) => `${file}: ${line}`).join('\n'));
const knowledge = loadKnowledge();
try {
  console.log(JSON.stringify(runTwin(parsed.data, knowledge), null, 2));
} catch (e) {
  if (e instanceof TwinInputError || e instanceof Cyp2d6InputError) fail(1, `${file}: ${e instanceof Cyp2d6InputError ? `${e.field}: ${e.message}` : e.message}`);
  fail(1, `${file}: the simulation failed: ${(e as Error).message}`);
}
