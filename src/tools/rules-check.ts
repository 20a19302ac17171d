import { SUMMARY_MAX_LENGTH } from '../cds/card-builder.js';
import { cardSpecProblems } from '../cds/card-spec.js';
import { renderCard } from '../rules/render.js';
import { painDomain } from '../pipeline/pain-domain.js';
import { loadConfig } from '../config.js';
import type { Domain } from '../rules/domain.js';
import { indent, loadRuntimeOrExit } from './rule-tools.js';

/**
 * `npm run rules:check`: validates every rule, template and knowledge table,
 * renders every rule's card with example values to check it against the CDS
 * Hooks card rules, prints a summary, and exits non-zero on any problem.
 */
const { runtime } = loadRuntimeOrExit();
const domain = painDomain(loadConfig(process.env)) as unknown as Domain<unknown>;
const data = runtime.data;
const examples = Object.fromEntries(domain.facts.map((f) => [f.name, f.example]));
// The longest realistic values: a summary that fits with the examples may still be cut at 140 characters with these.
const longest = Object.fromEntries(domain.facts.map((f) => [f.name, f.longest ?? (f.type === 'number' ? 9999.5 : f.example)]));
const renderProblems: string[] = [];
for (const { file, definition: rule } of data.rules) {
  const template = data.templates.get(rule.event.card)!.template;
  for (const [facts, which] of [
    [examples, 'example'],
    [longest, 'longest realistic'],
  ] as const)
  try {
    const card = renderCard({
      template,
      rule,
      facts,
      settings: domain.settings,
      tableFormatters: domain.tableFormatters ?? {},
      parameters: data.parameters,
      overrideReason: (code) => domain.overrideReason(data.knowledge, code),
      dataVersions: data.dataVersions,
      provenanceFacts: [],
      patientId: 'example',
    });
    for (const p of cardSpecProblems(card)) renderProblems.push(`${file} (rule ${rule.id}, card ${template.id}, with ${which} values): ${p}`);
    if (card.summary.length >= SUMMARY_MAX_LENGTH && card.summary.endsWith('…')) {
      renderProblems.push(`${file} (rule ${rule.id}, card ${template.id}): the summary is longer than ${SUMMARY_MAX_LENGTH} characters with ${which} values, so the service would cut it: "${card.summary}"`);
    }
  } catch (e) {
    renderProblems.push(`${file} (rule ${rule.id}, card ${template.id}): ${(e as Error).message}`);
  }
}
if (renderProblems.length > 0) {
  console.error(`✗ ${renderProblems.length} card(s) do not render to a valid CDS Hooks card:\n${indent(renderProblems.join('\n'))}`);
  process.exit(1);
}
if (process.argv.includes('--facts')) {
  console.log('Facts rules and templates may use:');
  for (const f of domain.facts) console.log(`  ${f.name.padEnd(34)} ${f.scope.padEnd(7)} ${f.type.padEnd(7)} ${f.description}`);
}
const summary = runtime.summary();
console.log('✓ rule set is valid');
console.log(`  rules: ${summary.rules} enabled (${data.rules.length} in files)`);
for (const [service, n] of Object.entries(summary.rulesByService)) console.log(`    ${service}: ${n}`);
console.log(`  named conditions: ${Object.keys(data.namedConditions).length}`);
console.log(`  parameters: ${[...data.parameters].map(([name, p]) => `${name} = ${p.value}${p.unit ? ` ${p.unit}` : ''}`).join(', ') || 'none'}`);
console.log(`  content hash: ${data.contentHash} (in /healthz and every card's provenance)`);
console.log(`  card templates: ${summary.templates}`);
console.log('  knowledge tables:');
for (const t of data.tables.values()) console.log(`    ${t.meta.id}@${t.meta.version}  ${t.meta.title}`);
