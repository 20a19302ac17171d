import path from 'node:path';
import { painDomain } from '../pipeline/pain-domain.js';
import { loadConfig } from '../config.js';
import { formatProblems } from '../knowledge/problems.js';
import { RuleSetError } from '../rules/problems.js';
import type { PainKnowledge } from '../clinical/knowledge.js';
import { RuleRuntime } from '../rules/runtime.js';
import { services } from '../services/index.js';

/** Shared start of the rule tools: the configured rules/ and cards/ loaded as the service would load them. */
export function loadRuntimeOrExit(): { runtime: RuleRuntime<PainKnowledge>; rulesDir: string } {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  try {
    const runtime = RuleRuntime.load({ rulesDir: config.rulesDir, cardsDir: config.cardsDir }, painDomain(config), services.map((s) => s.definition.id));
    return { runtime, rulesDir: config.rulesDir };
  } catch (e) {
    if (e instanceof RuleSetError) {
      console.error(`✗ ${e.problems.length} problem(s) in the rule set:\n${indent(formatProblems(e.problems))}`);
      process.exit(1);
    }
    throw e;
  }
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export function relative(file: string): string {
  return path.relative(process.cwd(), file) || file;
}
