import { describe, expect, test } from 'vitest';
import { PAIRS_ADVICE, planTrial } from '../../../src/clinical/nof1/planner.js';
import { loadKnowledge } from '../../helpers/knowledge.js';
import { CODEINE, OXYCODONE, plannerContext, request, TRAMADOL, WALKING } from './fhir-helpers.js';

const k = loadKnowledge();
const plan = (over = {}, phenotype: string | null = 'NM', known = true) => planTrial(request(over), plannerContext(k, phenotype, known), '2026-05-19T10:00:00Z');

function problems(r: ReturnType<typeof plan>) {
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('planner: design checks', () => {
  test('fewer than 2 pairs is refused with why more pairs are better', () => {
    const p = problems(plan({ pairs: 1 }));
    expect(p).toEqual([{ path: 'pairs', message: `must be at least 2: ${PAIRS_ADVICE}` }]);
  });

  test('a washout as long as the period, a drug arm without dose, an unknown outcome: all reported at once with their paths', () => {
    const p = problems(plan({ washoutDays: 7, primaryOutcome: 'mood' }));
    expect(p.map((x) => x.path)).toEqual(['washoutDays', 'primaryOutcome']);
    const q = problems(plan({ arms: { A: { ...TRAMADOL, dose: undefined }, B: OXYCODONE } }));
    expect(q[0]).toMatchObject({ path: 'arms.A.dose' });
    expect(problems(plan({ arms: { A: TRAMADOL, B: TRAMADOL } }))[0]).toMatchObject({ path: 'arms.B' });
  });

  test('the seed is recorded and the order is reproducible; without a seed the context draws one', () => {
    const a = plan();
    const b = plan();
    if (!a.ok || !b.ok) throw new Error('invalid');
    expect(a.value.design.randomisation.seed).toBe(12345);
    expect(a.value.design.periods).toEqual(b.value.design.periods);
    const drawn = plan({ seed: undefined });
    expect(drawn.ok && drawn.value.design.randomisation.seed).toBe(4242);
    expect(a.value.design.mcid).toBe(k.nof1.table.mcid.value);
    expect(a.value.design.primaryOutcome.code).toBe('72514-3');
    expect(a.value.design.secondaryOutcomes.map((c) => c.code)).toEqual(['drowsiness', 'constipation', 'nausea']);
  });
});

describe('planner: CYP2D6 and MME per arm', () => {
  test.each(['PM', 'UM'])('codeine and tramadol are refused as an arm for a CYP2D6 %s, with the reason', (phenotype) => {
    const p = problems(plan({ arms: { A: TRAMADOL, B: CODEINE } }, phenotype));
    expect(p.map((x) => x.path)).toEqual(['arms.A', 'arms.B']);
    expect(p[0]!.message).toContain('tramadol is refused as an arm');
    expect(p[0]!.message).toContain(`CYP2D6 ${phenotype}`);
    expect(p[0]!.message).toMatch(/CPIC: Avoid/);
    expect(p[1]!.message).toContain('codeine is refused as an arm');
  });

  test('for a normal or intermediate metabolizer they are allowed, with CPIC advice shown', () => {
    for (const phenotype of ['NM', 'IM']) {
      const r = plan({ arms: { A: TRAMADOL, B: CODEINE } }, phenotype);
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      expect(r.value.arms.map((a) => a.cyp2d6.status)).toEqual(['ok', 'ok']);
    }
  });

  test('no result or an unreadable record is unknown, never "fine"', () => {
    const none = plan({}, null);
    expect(none.ok && none.value.arms[0]!.cyp2d6).toMatchObject({ status: 'unknown', text: expect.stringContaining('no CYP2D6 result on file') });
    const unread = plan({}, null, false);
    expect(unread.ok && unread.value.arms[0]!.cyp2d6.text).toContain('CYP2D6 phenotype unknown');
    expect(none.ok && none.value.arms[1]!.cyp2d6.status).toBe('not-applicable');
  });

  test('each arm shows its MME per day from the service\'s tables; a non-drug arm is 0; an unconvertible drug is unknown', () => {
    const r = plan({ arms: { A: TRAMADOL, B: OXYCODONE } });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value.arms.map((a) => a.mmePerDay)).toEqual([40, 30]);
    expect(r.value.arms[0]!.mmeText).toContain('40 MME/day');
    const w = plan({ arms: { A: WALKING, B: OXYCODONE } });
    expect(w.ok && w.value.arms[0]).toMatchObject({ mmePerDay: 0, mmeText: 'no drug: 0 MME/day' });
    const unknown = plan({ arms: { A: { ...OXYCODONE, label: 'oxycodone syrup', medication: { display: 'Oxycodone oral solution' }, dose: { amount: 5, unit: 'mL', timesPerDay: 4 } }, B: WALKING } });
    if (!unknown.ok) throw new Error(JSON.stringify(unknown.problems));
    expect(unknown.value.arms[0]!.mmePerDay).toBeNull();
    expect(unknown.value.arms[0]!.mmeText).toMatch(/^MME unknown: /);
  });
});
