import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ServiceRequest } from 'fhir/r4';
import { loadConfig } from '../../src/config.js';
import { PROVENANCE_EXTENSION, type Card } from '../../src/cds/types.js';
import { cardSpecProblems } from '../../src/cds/card-spec.js';
import { decideFor } from '../../src/pipeline/hook.js';
import { painDomain } from '../../src/pipeline/pain-domain.js';
import { RuleRuntime } from '../../src/rules/runtime.js';
import { cardTemplate } from '../../src/rules/schemas.js';
import { services } from '../../src/services/index.js';
import { CODEINE_DRAFT, contextFor } from '../helpers/hooks.js';
import { REPO_ROOT } from '../helpers/service.js';

/**
 * Issue 17: a card offers only override reasons its patients can have, and
 * the pre-test card's suggestion orders the genotype test (a draft
 * ServiceRequest) without touching the drug order.
 */
const config = loadConfig({ CDS_AUTH: 'off' });
const runtime = RuleRuntime.load(
  { rulesDir: path.join(REPO_ROOT, 'rules'), cardsDir: path.join(REPO_ROOT, 'cards') },
  painDomain(config),
  services.map((s) => s.definition.id),
);
const templates = runtime.data.templates;
const reasons = runtime.knowledge.overrideReasons.reasons;
const offered = (id: string) => templates.get(id)?.template.overrideReasons ?? [];
const now = new Date('2026-06-01T12:00:00Z');
const ruleOf = (c: Card) => c.extension[PROVENANCE_EXTENSION].ruleId;

describe('override reasons fit the card', () => {
  test('every reason a template offers can justify that card topic', () => {
    const misfits: string[] = [];
    for (const [id, { template }] of templates) {
      const topic = template.source.topic?.code;
      for (const code of template.overrideReasons ?? []) {
        const reason = reasons.find((r) => r.code === code);
        if (!reason || !topic || !reason.topics.includes(topic)) misfits.push(`${id}: ${code}`);
      }
    }
    expect(misfits).toEqual([]);
  });

  test('the dose threshold card never offers cancer or palliative care (those patients never see it)', () => {
    expect(offered('mme-threshold')).not.toContain('cancer-pain');
    expect(offered('mme-threshold')).not.toContain('palliative-care');
    expect(offered('mme-threshold')).toEqual(expect.arrayContaining(['stable-long-term', 'taper-plan']));
    // Nor does the table let those reasons quiet a dose alert, in a card or in the app.
    for (const code of ['cancer-pain', 'palliative-care']) expect(reasons.find((r) => r.code === code)!.topics).not.toContain('mme');
  });

  test('the naloxone card offers naloxone reasons, not "declined the alternative"', () => {
    expect(offered('naloxone-offer')).toEqual(['naloxone-declined', 'naloxone-elsewhere']);
    const display = (code: string) => reasons.find((r) => r.code === code)!.display;
    expect(display('naloxone-declined')).toBe('Patient declined naloxone');
    expect(display('naloxone-elsewhere')).toBe('Patient already has naloxone (not in this record)');
    expect(reasons.find((r) => r.code === 'patient-declined-alternative')!.topics).not.toContain('naloxone');
  });

  test('the ER/LA card asks about tolerance not in the record; the breastfeeding card about breastfeeding', () => {
    expect(offered('er-la-naive')).toContain('opioid-tolerant-elsewhere');
    expect(offered('er-la-naive')).not.toContain('cancer-pain');
    expect(offered('label-warning')).toContain('not-breastfeeding');
    expect(offered('label-warning')).not.toContain('palliative-care');
  });

  test('a patient whose dose card fires is told what fits, and cancer pain is not offered as its justification', async () => {
    const oxycodone = { id: 'draft-oxy', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 3, frequency: 1, period: 4, periodUnit: 'h' as const };
    const cards = (await decideFor(runtime, 'opioid-order-sign', contextFor({ id: 'fit-1', drafts: [oxycodone] }, now))).cards;
    const dose = cards.find((c) => ruleOf(c) === 'mme-90-reached')!;
    expect(dose.overrideReasons?.map((r) => r.code)).toEqual(['stable-long-term', 'taper-plan', 'patient-declined-alternative']);
    expect(dose.detail).not.toContain('for example cancer-related pain');
  });
});

describe('the pre-test card orders the genotype test', () => {
  test('one click creates a draft ServiceRequest for CYP2D6 genotyping and keeps the codeine order', async () => {
    const cards = (await decideFor(runtime, 'opioid-order-sign', contextFor({ id: 'lea', age: 29, drafts: [CODEINE_DRAFT] }, now))).cards;
    const card = cards.find((c) => ruleOf(c) === 'pgx-pretest-no-result')!;
    expect(card).toBeDefined();
    expect(cardSpecProblems(card)).toEqual([]);
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions).toHaveLength(1);
    const [suggestion] = card.suggestions!;
    expect(suggestion!.label).toBe('Order a CYP2D6 genotype test');
    // Only a create: nothing deletes or changes the drug order.
    expect(suggestion!.actions!.map((a) => a.type)).toEqual(['create']);
    const order = suggestion!.actions![0]!.resource as ServiceRequest;
    expect(order).toEqual({
      resourceType: 'ServiceRequest',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/lea' },
      code: {
        coding: [{ system: 'http://loinc.org', code: '47403-1', display: 'CYP2D6 gene mutation analysis in Blood or Tissue by Molecular genetics method Narrative' }],
        text: 'CYP2D6 genotype test',
      },
    });
  });

  test('a patient with a CYP2D6 result gets no pre-test card and no test order', async () => {
    const cards = (await decideFor(runtime, 'opioid-order-sign', contextFor({ id: 'nm', age: 40, cyp2d6: '*1/*1', drafts: [CODEINE_DRAFT] }, now))).cards;
    expect(cards.map(ruleOf)).not.toContain('pgx-pretest-no-result');
    expect(cards.flatMap((c) => c.suggestions ?? []).flatMap((s) => s.actions ?? []).some((a) => a.resource?.resourceType === 'ServiceRequest')).toBe(false);
  });
});

describe('card template format: create a serviceRequest', () => {
  const base = { id: 'x', version: '1.0.0', indicator: 'info', summary: 's', source: { label: 'l' } };
  const create = (extra: Record<string, unknown>) => ({ ...base, suggestions: [{ label: 'Order', actions: [{ type: 'create', description: 'd', ...extra }] }] });
  const serviceRequest = { code: { system: 'http://loinc.org', code: '47403-1', display: 'CYP2D6 gene mutation analysis' }, text: 'CYP2D6 genotype test' };
  const medicationRequest = { medication: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '198440', display: 'Acetaminophen 500 MG Oral Tablet' } };

  test('a create holds exactly one of medicationRequest or serviceRequest', () => {
    expect(cardTemplate.safeParse(create({ serviceRequest })).success).toBe(true);
    expect(cardTemplate.safeParse(create({ medicationRequest })).success).toBe(true);
    for (const bad of [create({}), create({ serviceRequest, medicationRequest })]) {
      const result = cardTemplate.safeParse(bad);
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((i) => i.message)).toContain('a create action needs exactly one of medicationRequest or serviceRequest');
    }
  });

  test('a serviceRequest needs a code with system, code and display, and nothing else', () => {
    expect(cardTemplate.safeParse(create({ serviceRequest: { code: { system: 'http://loinc.org', code: '47403-1' } } })).success).toBe(false);
    expect(cardTemplate.safeParse(create({ serviceRequest: { ...serviceRequest, priority: 'stat' } })).success).toBe(false);
  });
});
