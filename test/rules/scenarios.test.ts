import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { painDomain } from '../../src/pipeline/pain-domain.js';
import { loadConfig } from '../../src/config.js';
import { RuleRuntime } from '../../src/rules/runtime.js';
import { loadScenarios, runScenario } from '../../src/pipeline/scenarios/scenario.js';
import { services } from '../../src/services/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { REPO_ROOT } from '../helpers/service.js';

/** Every scenario in rules/tests runs here too, so informaticists' examples are part of `npm test`. */
const rulesDir = path.join(REPO_ROOT, 'rules');
const config = loadConfig({ CDS_AUTH: 'off', RULES_DIR: rulesDir, CARDS_DIR: path.join(REPO_ROOT, 'cards') });
const runtime = RuleRuntime.load({ rulesDir, cardsDir: config.cardsDir }, painDomain(config), services.map((s) => s.definition.id));
const store = openSqliteStore({ dataDir: ':memory:' });
afterAll(() => store.close());

const { scenarios, problems } = loadScenarios(path.join(rulesDir, 'tests'));

test('scenario files are valid', () => {
  expect(problems).toEqual([]);
  expect(scenarios.length).toBeGreaterThan(40);
});

describe.each([...new Set(scenarios.map((s) => s.file))])('%s', (file) => {
  test.each(scenarios.filter((s) => s.file === file).map((s) => [s.scenario.name, s] as const))('%s', async (_name, scenario) => {
    const result = await runScenario(scenario, runtime, store);
    expect(result.failures).toEqual([]);
  });
});
