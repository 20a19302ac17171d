import fs from 'node:fs';
import { decideFor, patientContextFor } from '../pipeline/hook.js';
import { parseHookRequest } from '../cds/hook-request.js';
import { resolvePrefetch } from '../cds/prefetch.js';
import { findService, services } from '../services/index.js';
import type { RuleTrace } from '../rules/runtime.js';
import { PROVENANCE_EXTENSION } from '../cds/types.js';
import { walkConditions } from '../rules/conditions.js';
import type { ConditionNode } from '../rules/schemas.js';
import { loadRuntimeOrExit } from './rule-tools.js';

/**
 * `npm run rules:explain -- <request.json> [service-id]`: evaluates one hook
 * request (prefetch must be in the file) and prints, for every rule, whether it
 * fired and the value each condition saw.
 */
const [file, serviceArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npm run rules:explain -- <hook-request.json> [service-id]');
  process.exit(2);
}
const body = JSON.parse(fs.readFileSync(file, 'utf8')) as { hook?: string };
const service = serviceArg ? findService(serviceArg) : services.find((s) => s.definition.hook === body.hook);
if (!service) {
  console.error(`no service for ${serviceArg ? `id '${serviceArg}'` : `hook '${body.hook}'`}`);
  process.exit(2);
}
const { runtime } = loadRuntimeOrExit();
const request = parseHookRequest(body, service.definition.hook);
const prefetch = await resolvePrefetch(request, { templates: service.definition.prefetch, required: [] }, { timeoutMs: 1000, maxPages: 1 });
const context = patientContextFor(request, prefetch, new Date());
const decision = await decideFor(runtime, service.definition.id, context, true);
console.log(`Service ${service.definition.id}: ${decision.cards.length} card(s)`);
for (const c of decision.cards) console.log(`  [${c.indicator}] ${c.summary}  (rule ${c.extension[PROVENANCE_EXTENSION].ruleId})`);
for (const u of prefetch.unavailable) console.log(`  not available: ${u.key} (${u.reason})`);
console.log('\nRules evaluated:');
for (const t of (decision.trace ?? []) as RuleTrace[]) {
  console.log(`${t.fired ? '✓ fired   ' : '· no      '} ${t.ruleId}  [${t.subject}]`);
  const parameters = Object.entries(t.parameters);
  if (parameters.length > 0) console.log(`      parameters: ${parameters.map(([name, value]) => `${name} = ${value}`).join(', ')}`);
  printConditions(t.conditions, '      ');
}

/** The engine's evaluated condition tree (the rule's conditions with `result` and `factResult` on each fact condition), one line a node. */
function printConditions(tree: unknown, pad: string): void {
  if (!tree || typeof tree !== 'object') return;
  walkConditions(tree as ConditionNode, (node, _path, depth) => {
    const indent = `${pad}${'  '.repeat(depth)}`;
    if ('all' in node || 'any' in node || 'not' in node) console.log(`${indent}${'all' in node ? 'all' : 'any' in node ? 'any' : 'not'}:`);
    else if ('condition' in node) console.log(`${indent}condition ${node.condition}`);
    else {
      const evaluated = node as typeof node & { result?: boolean; factResult?: unknown };
      const mark = evaluated.result === true ? '✓' : evaluated.result === false ? '✗' : '·';
      console.log(`${indent}${mark} ${node.fact} ${node.operator} ${JSON.stringify(node.value)}  (was ${JSON.stringify(evaluated.factResult)})`);
    }
  });
}
