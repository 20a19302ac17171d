import { describe, expect, test } from 'vitest';
import { interpret, scoreAnswers } from '../../../src/clinical/pro/scoring.js';
import { findInstrument } from '../../../src/clinical/pro/scoring.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/**
 * Scoring of the whole-person instruments against the published scoring rules
 * and their worked examples: the PEG mean (Krebs 2009; LOINC 91147-9), PHQ-2
 * (Kroenke 2003: 3 or more positive), PHQ-9 bands (LOINC 44261-6), GAD-7 bands
 * (Spitzer 2006), STarT Back risk groups (Keele scoring chart; LOINC 91352-5)
 * and ORT risk levels (Webster 2005; LOINC 91392-1).
 */
const table = loadKnowledge().pro.instruments;
const PHQ = ['LA6568-5', 'LA6569-3', 'LA6570-1', 'LA6571-9'];
const phq9 = (scores: number[]) => Object.fromEntries(['44250-9', '44255-8', '44259-0', '44254-1', '44251-7', '44258-2', '44252-5', '44253-3', '44260-8'].map((id, i) => [id, PHQ[scores[i]!]!]));
const gad7 = (scores: number[]) => Object.fromEntries(['69725-0', '68509-9', '69733-4', '69734-2', '69735-9', '69689-8', '69736-7'].map((id, i) => [id, PHQ[scores[i]!]!]));

describe('PEG-3: the mean of three 0-10 items (Krebs 2009)', () => {
  test('pain 6, enjoyment 7, activity 8 gives 7.0, severe (local bands)', () => {
    const s = scoreAnswers(table, 'peg', { '75893-8': '6', '91145-3': '7', '91146-1': '8' });
    expect(s.ok && [s.total, s.label]).toEqual([7, 'severe']);
  });
  test('a mean that is not whole keeps one decimal: 5, 6, 6 gives 5.7', () => {
    const s = scoreAnswers(table, 'peg', { '75893-8': '5', '91145-3': '6', '91146-1': '6' });
    expect(s.ok && [s.total, s.label]).toEqual([5.7, 'moderate']);
  });
  test('a missing or out-of-range answer is refused, never scored as 0', () => {
    const s = scoreAnswers(table, 'peg', { '75893-8': '5', '91145-3': '11' });
    expect(s.ok).toBe(false);
    expect(!s.ok && s.problems.join(' ')).toMatch(/91145-3: '11' is not one of the answers.*91146-1: not answered/);
  });
});

describe('PHQ-2 and PHQ-9', () => {
  test('PHQ-2 of 3 is a positive screen (Kroenke 2003), 2 is not', () => {
    const pos = scoreAnswers(table, 'phq2', { '44250-9': 'LA6570-1', '44255-8': 'LA6569-3' });
    const neg = scoreAnswers(table, 'phq2', { '44250-9': 'LA6569-3', '44255-8': 'LA6569-3' });
    expect(pos.ok && [pos.total, pos.label]).toEqual([3, 'positive screen']);
    expect(neg.ok && [neg.total, neg.label]).toEqual([2, 'negative screen']);
  });
  test.each([
    [[0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 'minimal'],
    [[1, 1, 1, 1, 0, 0, 0, 0, 0], 4, 'minimal'],
    [[1, 1, 1, 1, 1, 0, 0, 0, 0], 5, 'mild'],
    [[2, 2, 2, 2, 1, 1, 0, 0, 0], 10, 'moderate'],
    [[2, 2, 2, 2, 2, 2, 2, 1, 0], 15, 'moderately severe'],
    [[3, 3, 3, 3, 2, 2, 2, 2, 0], 20, 'severe'],
    [[3, 3, 3, 3, 3, 3, 3, 3, 3], 27, 'severe'],
  ])('answers %j total %i, %s (LOINC 44261-6 bands)', (answers, total, band) => {
    const s = scoreAnswers(table, 'phq9', phq9(answers));
    expect(s.ok && [s.total, s.label]).toEqual([total, band]);
  });
  test('item 9 is reported on its own whatever the total', () => {
    const s = scoreAnswers(table, 'phq9', phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect(s.ok && [s.total, s.label, s.selfHarm]).toEqual([1, 'minimal', 1]);
  });
});

describe('GAD-7 (Spitzer 2006: 5, 10 and 15)', () => {
  test.each([
    [[0, 0, 0, 0, 1, 1, 2], 4, 'minimal'],
    [[1, 1, 1, 1, 1, 0, 0], 5, 'mild'],
    [[2, 2, 2, 1, 1, 1, 1], 10, 'moderate'],
    [[3, 3, 3, 2, 2, 1, 1], 15, 'severe'],
    [[3, 3, 3, 3, 3, 3, 3], 21, 'severe'],
  ])('answers %j total %i, %s', (answers, total, band) => {
    const s = scoreAnswers(table, 'gad7', gad7(answers));
    expect(s.ok && [s.total, s.label]).toEqual([total, band]);
  });
});

describe('STarT Back (Keele scoring chart)', () => {
  const items = ['91340-0', '91341-8', '91342-6', '91343-4', '91344-2', '91345-9', '91346-7', '91347-5'];
  const form = (agree: number[], bother: string) => ({ ...Object.fromEntries(items.map((id, i) => [id, agree.includes(i + 1) ? 'agree' : 'disagree'])), '91348-3': bother });
  test('total 3 or less is low risk, whatever the distress subscore', () => {
    const s = scoreAnswers(table, 'startback', form([5, 6], 'extremely'));
    expect(s.ok && [s.total, s.subscore, s.label]).toEqual([3, 3, 'low risk']);
  });
  test('total 4 or more with a distress subscore of 3 or less is medium risk', () => {
    const s = scoreAnswers(table, 'startback', form([1, 2, 3, 5], 'moderately'));
    expect(s.ok && [s.total, s.subscore, s.label]).toEqual([4, 1, 'medium risk']);
  });
  test("distress subscore 4 or more (items 5-9, 'very much' bothersome counts) is high risk", () => {
    const s = scoreAnswers(table, 'startback', form([1, 5, 6, 7], 'very-much'));
    expect(s.ok && [s.total, s.subscore, s.label, s.level]).toEqual([5, 4, 'high risk', 3]);
  });
  test('from an Observation without the subscore, a total of 4 or more says so rather than guess', () => {
    expect(interpret(findInstrument(table, 'startback')!, 6)).toEqual({ label: 'medium or high risk (distress subscore not recorded)', level: 2 });
  });
});

describe('Opioid Risk Tool (Webster 2005)', () => {
  const none = Object.fromEntries(findInstrument(table, 'ort')!.items.map((i) => [i.linkId, 'no']));
  test('points differ by sex: a family history of alcohol abuse is 1 for women and 3 for men', () => {
    const f = scoreAnswers(table, 'ort', { ...none, 'family-alcohol': 'yes' }, { sex: 'female' });
    const m = scoreAnswers(table, 'ort', { ...none, 'family-alcohol': 'yes' }, { sex: 'male' });
    expect([f.ok && f.total, m.ok && m.total]).toEqual([1, 3]);
  });
  test('0-3 low, 4-7 moderate, 8 or more high', () => {
    const low = scoreAnswers(table, 'ort', { ...none, 'age-16-45': 'yes', 'psych-depression': 'yes' }, { sex: 'male' });
    const moderate = scoreAnswers(table, 'ort', { ...none, 'personal-illegal': 'yes' }, { sex: 'male' });
    const high = scoreAnswers(table, 'ort', { ...none, 'preadolescent-sexual-abuse': 'yes', 'personal-prescription': 'yes' }, { sex: 'female' });
    expect([low, moderate, high].map((s) => s.ok && `${s.total} ${s.label}`)).toEqual(['2 low risk', '4 moderate risk', '8 high risk']);
  });
  test('preadolescent sexual abuse scores 0 for men (the published table)', () => {
    const s = scoreAnswers(table, 'ort', { ...none, 'preadolescent-sexual-abuse': 'yes' }, { sex: 'male' });
    expect(s.ok && s.total).toBe(0);
  });
  test('without a sex the ORT cannot be scored', () => {
    expect(scoreAnswers(table, 'ort', none).ok).toBe(false);
  });
});

describe('plug-in and read-only instruments', () => {
  test('PROMIS sleep T-scores are banded (55 mild, 60 moderate, 70 severe) but never scored from items here', () => {
    const ins = findInstrument(table, 'promis-sleep')!;
    expect([50, 57, 65, 72].map((t) => interpret(ins, t).label)).toEqual(['within normal limits', 'mild', 'moderate', 'severe']);
    expect(scoreAnswers(table, 'promis-sleep', {}).ok).toBe(false);
    expect(ins.items).toEqual([]);
  });
  test('no licensed instrument ships its items', () => {
    for (const id of ['pcs', 'promis-sleep', 'ort']) expect(findInstrument(table, id)!.renderInApp).toBe(false);
    expect(findInstrument(table, 'pcs')!.items).toEqual([]);
  });
});
