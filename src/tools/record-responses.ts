import fs from 'node:fs';
import path from 'node:path';
import { runHook } from '../pipeline/hook.js';
import { loadScenarios, runScenario } from '../pipeline/scenarios/scenario.js';
import { findService, services } from '../services/index.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { loadRuntimeOrExit } from './rule-tools.js';

/**
 * `node dist/src/tools/record-responses.js OUT.json`: the full answer (cards
 * with provenance; random uuids replaced) of every rule scenario and of every
 * request in test/fixtures/requests for each service, as one JSON file. Taken
 * before and after a refactor, the two files must be identical.
 */
const out = process.argv[2];
if (!out) {
  console.error('usage: node dist/src/tools/record-responses.js OUT.json');
  process.exit(2);
}
const { runtime, rulesDir } = loadRuntimeOrExit();
const store = openSqliteStore({ dataDir: ':memory:' });
const responses: Record<string, unknown> = {};
const { scenarios } = loadScenarios(path.join(rulesDir, 'tests'));
for (const s of scenarios) responses[`${s.file} :: ${s.scenario.name}`] = (await runScenario(s, runtime, store)).cards;
const fixtures = path.join(rulesDir, '..', 'test', 'fixtures', 'requests');
const now = new Date('2026-06-01T12:00:00Z');
for (const name of fs.existsSync(fixtures) ? fs.readdirSync(fixtures) : []) {
  const body = JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8')) as { hook: string };
  for (const service of services.filter((s) => s.definition.hook === body.hook)) {
    const outcome = await runHook(findService(service.definition.id)!, body, { rules: runtime, store, prefetch: { timeoutMs: 1000, maxPages: 1 }, cardTtlMs: 60_000, now: () => now }, { debug: false });
    responses[`fixture ${name} :: ${service.definition.id}`] = outcome.response;
  }
}
await store.close();
const normalised = JSON.stringify(responses, (key, value: unknown) => (key === 'uuid' ? '<uuid>' : value), 2);
fs.writeFileSync(out, `${normalised}\n`);
console.log(`${Object.keys(responses).length} responses written to ${out}`);
