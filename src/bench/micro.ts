import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { painDomain } from '../pipeline/pain-domain.js';
import type { PainKnowledge } from '../clinical/knowledge.js';
import { decideFor, patientContextFor } from '../pipeline/hook.js';
import { parseHookRequest } from '../cds/hook-request.js';
import { resolvePrefetch } from '../cds/prefetch.js';
import { loadConfig } from '../config.js';
import { RuleRuntime } from '../rules/runtime.js';
import { hookRequestFor } from '../pipeline/scenarios/compact-patient.js';
import { findService, services } from '../services/index.js';
import { largeRecord, NOW, SCENARIOS, type ScenarioName } from './scenarios.js';

/**
 * In-process micro-benchmark of the clinical path alone: the request is
 * already parsed; prefetch resolution (from given data), patient context,
 * facts, rules and cards are timed. Also the scaling runs (record size, rule
 * count) and the reload time of a large rule set.
 */
const SERVICE_IDS = services.map((s) => s.definition.id);

export interface MicroResult {
  readonly usPerCall: number;
  readonly iterations: number;
}

function runtimeFor(rulesDir: string, cardsDir: string): RuleRuntime<PainKnowledge> {
  const config = loadConfig({ CDS_AUTH: 'off', RULES_DIR: rulesDir, CARDS_DIR: cardsDir });
  return RuleRuntime.load({ rulesDir, cardsDir }, painDomain(config), SERVICE_IDS);
}

async function timeClinicalPath(runtime: RuleRuntime<PainKnowledge>, serviceId: string, body: unknown, minMs = 800): Promise<MicroResult> {
  const service = findService(serviceId)!;
  const request = parseHookRequest(body, service.definition.hook);
  const spec = { templates: service.definition.prefetch, required: service.requiredPrefetch };
  const once = async () => {
    const prefetch = await resolvePrefetch(request, spec, { timeoutMs: 1000, maxPages: 1 });
    const context = patientContextFor(request, prefetch, NOW);
    return decideFor(runtime, serviceId, context);
  };
  for (let i = 0; i < 200; i++) await once();
  let iterations = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 50; i++) await once();
    iterations += 50;
  }
  return { usPerCall: ((performance.now() - start) * 1000) / iterations, iterations };
}

export async function microScenarios(rulesDir: string, cardsDir: string): Promise<Record<ScenarioName, MicroResult>> {
  const runtime = runtimeFor(rulesDir, cardsDir);
  const out = {} as Record<ScenarioName, MicroResult>;
  for (const [name, s] of Object.entries(SCENARIOS) as [ScenarioName, (typeof SCENARIOS)[ScenarioName]][]) out[name] = await timeClinicalPath(runtime, s.serviceId, s.body());
  return out;
}

export async function scaleOrders(rulesDir: string, cardsDir: string, sizes: readonly number[]): Promise<{ orders: number; usPerCall: number }[]> {
  const runtime = runtimeFor(rulesDir, cardsDir);
  const out = [];
  for (const n of sizes) {
    const r = await timeClinicalPath(runtime, 'opioid-order-sign', hookRequestFor('order-sign', largeRecord(n), NOW), 600);
    out.push({ orders: n, usPerCall: r.usPerCall });
  }
  return out;
}

/** A copy of the rule set with `count` generated rules instead of the real ones (knowledge and templates kept). */
export function generatedRuleSet(rulesDir: string, cardsDir: string, count: number): { rulesDir: string; cardsDir: string; cleanup(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rules-'));
  const dir = path.join(root, 'rules');
  fs.mkdirSync(dir);
  fs.cpSync(path.join(rulesDir, 'knowledge'), path.join(dir, 'knowledge'), { recursive: true });
  // The tables and named parameters the cards and safeguards read come along; only the rules are generated.
  for (const file of ['shared-conditions.json', 'parameters.json']) fs.cpSync(path.join(rulesDir, file), path.join(dir, file));
  // No scenarios: generated rules have no expected cards, and the start-up gate then has nothing to run.
  fs.mkdirSync(path.join(dir, 'tests'));
  const rules = Array.from({ length: count }, (_, i) => {
    const order = i % 2 === 1;
    return {
      id: `generated-${i}`,
      version: '1.0.0',
      title: `Generated rule ${i}`,
      services: ['opioid-order-select', 'opioid-order-sign'],
      scope: order ? 'order' : 'patient',
      citation: { guideline: 'benchmark', version: '1' },
      priority: 1 + (i % 50),
      conditions: order
        ? { all: [{ condition: 'orderIsPainOpioid' }, { fact: 'order.mme', operator: 'greaterThan', value: 1000 + i }] }
        : { all: [{ fact: 'mme.hasOpioids', operator: 'equal', value: true }, { fact: 'mme.total', operator: 'greaterThan', value: 1000 + i }] },
      event: { card: 'mme-info', params: { headline: `Generated ${i}`, lead: 'Generated rule for the benchmark.' } },
    };
  });
  fs.writeFileSync(path.join(dir, 'generated.json'), JSON.stringify({ rules }));
  return { rulesDir: dir, cardsDir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export async function scaleRules(rulesDir: string, cardsDir: string, counts: readonly number[]): Promise<{ rules: number; usPerCall: number; reloadMs: number }[]> {
  const out = [];
  const body = SCENARIOS['order-select-small'].body();
  for (const n of counts) {
    const set = generatedRuleSet(rulesDir, cardsDir, n);
    try {
      const runtime = runtimeFor(set.rulesDir, set.cardsDir);
      const r = await timeClinicalPath(runtime, 'opioid-order-select', body, 600);
      const reloads: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const result = await runtime.reload();
        if (!result.ok) throw new Error('generated rule set did not load');
        reloads.push(performance.now() - t);
      }
      out.push({ rules: n, usPerCall: r.usPerCall, reloadMs: reloads.sort((a, b) => a - b)[2]! });
    } finally {
      set.cleanup();
    }
  }
  return out;
}
