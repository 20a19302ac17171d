import { describe, expect, test } from 'vitest';
import { buildCard, CardBuildError, type CardDraft } from '../../src/cds/card-builder.js';
import { cardSpecProblems } from '../../src/cds/card-spec.js';

const base: CardDraft = {
  summary: 'Something to know',
  indicator: 'info',
  source: { label: 'Test source' },
  provenance: { ruleId: 'r', ruleVersion: '1.0.0', dataVersions: ['t@1'], values: { 'mme.total': 60 } },
};

describe('card builder', () => {
  test('every card and suggestion gets a uuid; selectionBehavior is set whenever there are suggestions', () => {
    const card = buildCard({
      ...base,
      suggestions: [
        { label: 'A', isRecommended: true, actions: [{ type: 'delete', description: 'remove', resourceId: 'MedicationRequest/1' }] },
        { label: 'B', isRecommended: true, actions: [{ type: 'create', description: 'add', resource: { resourceType: 'MedicationRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/p' } } }] },
      ],
    });
    expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.suggestions!.every((s) => /^[0-9a-f-]{36}$/.test(s.uuid))).toBe(true);
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions!.filter((s) => s.isRecommended)).toHaveLength(1);
    expect(cardSpecProblems(card)).toEqual([]);
  });

  test('the summary stays under 140 characters, on one line', () => {
    const card = buildCard({ ...base, summary: `Line one\nline two ${'x'.repeat(200)}` });
    expect(card.summary.length).toBeLessThan(140);
    expect(card.summary).not.toContain('\n');
    expect(card.summary.endsWith('…')).toBe(true);
  });

  test('raw HTML in markdown is escaped', () => {
    const card = buildCard({ ...base, detail: 'Patient <script>alert(1)</script> & <b>bold</b>' });
    expect(card.detail).toBe('Patient &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(cardSpecProblems(card)).toEqual([]);
  });

  test('no null, empty string, empty array or empty object survives', () => {
    const card = buildCard({ ...base, detail: '  ', suggestions: [], overrideReasons: [], links: [], provenance: { ...base.provenance, values: { a: [], b: null, c: '', d: {}, e: 1 } } });
    expect(card).not.toHaveProperty('detail');
    expect(card).not.toHaveProperty('suggestions');
    expect(card).not.toHaveProperty('selectionBehavior');
    expect(card).not.toHaveProperty('overrideReasons');
    expect(card).not.toHaveProperty('links');
    expect(card.extension['pain-cds-provenance'].values).toEqual({ e: 1 });
    expect(cardSpecProblems(card)).toEqual([]);
  });

  test('appContext only on smart links', () => {
    const card = buildCard({
      ...base,
      links: [
        { label: 'App', url: 'https://app', type: 'smart', appContext: 'view=mme' },
        { label: 'PDMP', url: 'https://pdmp', type: 'absolute', appContext: 'leaks' },
      ],
    });
    expect(card.links).toEqual([
      { label: 'App', url: 'https://app', type: 'smart', appContext: 'view=mme' },
      { label: 'PDMP', url: 'https://pdmp', type: 'absolute' },
    ]);
  });

  test.each([
    ['override reason without display', { overrideReasons: [{ system: 's', code: 'c' }] }],
    ['delete action without resourceId', { suggestions: [{ label: 'x', actions: [{ type: 'delete' as const, description: 'd' }] }] }],
    ['action without description', { suggestions: [{ label: 'x', actions: [{ type: 'delete' as const, description: '', resourceId: 'MedicationRequest/1' }] }] }],
  ])('refuses a %s', (_name, extra) => {
    expect(() => buildCard({ ...base, ...(extra as Partial<CardDraft>) })).toThrow(CardBuildError);
  });
});
