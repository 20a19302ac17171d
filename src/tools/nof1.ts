import fs from 'node:fs';
import path from 'node:path';
import { analysisDefaults, analyzeTrial, NOF1_DEFAULTS_TABLE, parseNof1DefaultsTable, type Nof1Defaults } from '../clinical/nof1/index.js';
import { jsonSyntaxMessage } from '../knowledge/json-files.js';
import { PROJECT_ROOT } from '../paths.js';

/**
 * `npm run -s nof1 -- analyze FILE.json`: the N-of-1 analysis for clinicians
 * and researchers. Reads a trial as plain JSON, prints the results as JSON.
 * Exit codes: 0 done, 1 the file cannot be read or the trial is invalid (the
 * message names the file and the JSON path), 2 a usage error. Never a stack trace.
 */

const USAGE = `usage: npm run -s nof1 -- analyze FILE.json

Reads an N-of-1 trial (two treatments A and B, periods, daily scores) and prints
the analysis as JSON: meanDifference (B minus A), credibleInterval95,
probabilityBBetter, probabilityClinicallyImportant, the observations used and
excluded, the checks (trend, carry-over, period means, autocorrelation) and the model.

  {"treatments": {"A": "...", "B": "..."},
   "outcome": {"name": "pain", "lowerIsBetter": true, "mcid": 1},
   "washoutDays": 2,
   "periods": [{"treatment": "A", "start": "2026-01-01", "end": "2026-01-07"}, ...],
   "observations": [{"date": "2026-01-01", "value": 6}, ...]}

outcome.mcid may be left out: the default comes from rules/knowledge/${NOF1_DEFAULTS_TABLE}.json
(RULES_DIR overrides the rules folder).
Exit codes: 0 analysed, 1 unreadable file or invalid trial, 2 usage error.`;

function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (e as Error).message;
}

/** The default MCID from the knowledge table, or why it could not be read. */
function loadDefaults(): { defaults?: Nof1Defaults; problem?: string } {
  const rulesDir = process.env.RULES_DIR ? path.resolve(process.env.RULES_DIR) : path.join(PROJECT_ROOT, 'rules');
  const file = path.join(rulesDir, 'knowledge', `${NOF1_DEFAULTS_TABLE}.json`);
  try {
    return { defaults: analysisDefaults(parseNof1DefaultsTable(JSON.parse(fs.readFileSync(file, 'utf8')))) };
  } catch (e) {
    return { problem: `the analysis defaults table (MCID, autocorrelation warning) ${file} could not be used (${e instanceof SyntaxError ? e.message : errorCode(e)})` };
  }
}

function analyze(file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`nof1: cannot read ${file}: ${errorCode(e)}`);
    return 1;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    console.error(`nof1: ${file} is not valid JSON: ${jsonSyntaxMessage(e as Error, text)}`);
    return 1;
  }
  const { defaults, problem } = loadDefaults();
  if (!defaults) {
    console.error(`nof1: ${problem}`);
    return 1;
  }
  const result = analyzeTrial(json, defaults);
  if (!result.ok) {
    const lines = result.problems.map((p) => `  ${p.path || '(the trial)'}: ${p.message}`);
    console.error(`nof1: ${file} is not a valid trial:\n${lines.join('\n')}`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(result.value, null, 2)}\n`);
  return 0;
}

function main(args: readonly string[]): number {
  const [command, ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command !== 'analyze') {
    console.error(command === undefined ? 'nof1: missing command' : `nof1: unknown command ${JSON.stringify(command)}`);
    console.error(USAGE);
    return 2;
  }
  if (rest.length !== 1 || rest[0]!.startsWith('-')) {
    console.error(rest.length === 0 ? 'nof1: analyze needs a trial file' : `nof1: analyze takes exactly one trial file (got ${rest.map((r) => JSON.stringify(r)).join(' ')})`);
    console.error(USAGE);
    return 2;
  }
  return analyze(rest[0]!);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`nof1: internal error: ${(e as Error).message ?? String(e)}`);
  process.exitCode = 1;
}
