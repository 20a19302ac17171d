import fs from 'node:fs';
import { decideFor, patientContextFor } from '../pipeline/hook.js';
import { parseHookRequest } from '../cds/hook-request.js';
import { resolvePrefetch } from '../cds/prefetch.js';
import { findService, services } from '../services/index.js';
import type { RuleTrace } from '../rules/runtime.js';
import { PROVENANCE_EXTENSION } from '../cds/types.js';
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

function printConditions(node: unknown, pad: string): void {
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, unknown>;
  for (const key of ['all', 'any'] as const) {
    if (Array.isArray(n[key])) {
      console.log(`${pad}${key}:`);
      for (const c of n[key] as unknown[]) printConditions(c, `${pad}  `);
      return;
    }
  }
  if (n.not) {
    console.log(`${pad}not:`);
    printConditions(n.not, `${pad}  `);
    return;
  }
  if (n.condition) {
    console.log(`${pad}condition ${String(n.condition)}`);
    return;
  }
  const mark = n.result === true ? '✓' : n.result === false ? '✗' : '·';
  console.log(`${pad}${mark} ${String(n.fact)} ${String(n.operator)} ${JSON.stringify(n.value)}  (was ${JSON.stringify(n.factResult)})`);
}
