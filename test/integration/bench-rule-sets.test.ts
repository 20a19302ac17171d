import path from 'node:path';
import { expect, test } from 'vitest';
import { generatedRuleSet } from '../../src/bench/micro.js';
import { SCENARIOS } from '../../src/bench/scenarios.js';
import { REPO_ROOT, startTestService } from '../helpers/service.js';

/**
 * `npm run bench` starts the service on generated rule sets to measure how it
 * scales with the rule count. Such a set must start the way an edited rules/
 * folder does (the tables, the named parameters and the scenario gate), or the
 * bench stops before it measures anything.
 */
test('a generated rule set starts as a service and answers the bench request with its own rules', async () => {
  const set = generatedRuleSet(path.join(REPO_ROOT, 'rules'), path.join(REPO_ROOT, 'cards'), 20);
  try {
    const svc = await startTestService({ env: { RULES_DIR: set.rulesDir, CARDS_DIR: set.cardsDir } });
    try {
      expect(svc.rules.summary().rules).toBe(20);
      const res = await svc.post('/cds-services/opioid-order-select', SCENARIOS['order-select-small'].body());
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body.cards)).toBe(true);
    } finally {
      await svc.close();
    }
  } finally {
    set.cleanup();
  }
});
