import path from 'node:path';
import { painDomain } from '../../src/pipeline/pain-domain.js';
import type { PainKnowledge } from '../../src/clinical/knowledge.js';
import { loadConfig } from '../../src/config.js';
import { RuleRuntime } from '../../src/rules/runtime.js';
import { services } from '../../src/services/index.js';
import { REPO_ROOT } from './service.js';

/** The repository's rule set, loaded exactly as the service loads it. */
export function loadRuleRuntime(env: Record<string, string> = {}): RuleRuntime<PainKnowledge> {
  const config = loadConfig({ CDS_AUTH: 'off', RULES_DIR: path.join(REPO_ROOT, 'rules'), CARDS_DIR: path.join(REPO_ROOT, 'cards'), ...env });
  return RuleRuntime.load({ rulesDir: config.rulesDir, cardsDir: config.cardsDir }, painDomain(config), services.map((s) => s.definition.id));
}

/** The knowledge tables of the repository, loaded and compiled exactly as the service does. */
export function loadKnowledge(env: Record<string, string> = {}): PainKnowledge {
  return loadRuleRuntime(env).knowledge;
}
