import path from 'node:path';
import { runScenario, loadScenarios } from '../pipeline/scenarios/scenario.js';
import { formatProblems } from '../knowledge/problems.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { indent, loadRuntimeOrExit } from './rule-tools.js';

/** `npm run rules:test`: runs every scenario in rules/tests and prints pass/fail with what differed. */
const { runtime, rulesDir } = loadRuntimeOrExit();
const { scenarios, problems } = loadScenarios(path.join(rulesDir, 'tests'));
if (problems.length > 0) {
  console.error(`✗ scenario files have problems:\n${indent(formatProblems(problems))}`);
  process.exit(1);
}
const store = openSqliteStore({ dataDir: ':memory:' });
let failed = 0;
for (const s of scenarios) {
  const result = await runScenario(s, runtime, store);
  if (result.passed) console.log(`✓ ${result.name}  (${result.file})`);
  else {
    failed++;
    console.log(`✗ ${result.name}  (${result.file})\n${indent(result.failures.join('\n'))}`);
  }
}
await store.close();
console.log(`\n${scenarios.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
