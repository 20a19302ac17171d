import { bandOf, type Instrument, type ProInstrumentTable } from './tables.js';

/**
 * Scoring of the whole-person instruments, from the versioned table: totals,
 * the PEG mean, severity bands, STarT Back risk groups and ORT risk levels.
 * Pure; the SMART app's answers and an Observation read from the record are
 * interpreted by the same functions.
 */
export interface Interpretation {
  /** Band or risk group, for people ("moderate", "high risk"). */
  readonly label: string;
  /** 0 none, 1 mild, 2 moderate or a positive screen, 3 severe or high risk. */
  readonly level: number;
}

export interface Scored extends Interpretation {
  readonly ok: true;
  readonly instrument: Instrument;
  readonly total: number;
  readonly subscore?: number;
  /** Item scores by linkId. */
  readonly items: Readonly<Record<string, number>>;
  /** PHQ-9 item 9 (thoughts of self-harm), when the instrument has it. */
  readonly selfHarm?: number;
}

export interface NotScored {
  readonly ok: false;
  readonly problems: readonly string[];
}

export type Answers = Readonly<Record<string, string | boolean | number | undefined>>;

export function findInstrument(table: ProInstrumentTable, id: string): Instrument | undefined {
  return table.instruments.find((i) => i.id === id);
}

/** Scores a set of answers (option codes by linkId; yes/no for ORT risk factors); every item must be answered. */
export function scoreAnswers(table: ProInstrumentTable, instrumentId: string, answers: Answers, options: { readonly sex?: string } = {}): Scored | NotScored {
  const ins = findInstrument(table, instrumentId);
  if (!ins) return { ok: false, problems: [`unknown instrument '${instrumentId}'`] };
  if (ins.scoring === 'observation-only') return { ok: false, problems: [`${ins.name} is read from the record, not scored here (licence: see the table)`] };
  if (ins.scoring === 'ort') return scoreOrt(ins, answers, options.sex);
  const problems: string[] = [];
  const items: Record<string, number> = {};
  for (const it of ins.items) {
    const given = answers[it.linkId];
    const option = table.answerSets[it.answers ?? '']?.options.find((o) => o.code === String(given));
    if (given === undefined || given === '') problems.push(`${it.linkId}: not answered`);
    else if (!option) problems.push(`${it.linkId}: '${String(given)}' is not one of the answers`);
    else items[it.linkId] = option.score;
  }
  const unknown = Object.keys(answers).filter((k) => !ins.items.some((it) => it.linkId === k));
  if (unknown.length) problems.push(`not items of ${ins.name}: ${unknown.join(', ')}`);
  if (problems.length) return { ok: false, problems };
  const values = Object.values(items);
  const sum = values.reduce((a, b) => a + b, 0);
  const total = ins.scoring === 'mean' ? round(sum / values.length, ins.decimals) : sum;
  const subscore = ins.subscore ? ins.subscore.items.reduce((a, id) => a + (items[id] ?? 0), 0) : undefined;
  const selfHarm = ins.selfHarmItem !== undefined ? items[ins.selfHarmItem] : undefined;
  return { ok: true, instrument: ins, total, items, ...(subscore !== undefined ? { subscore } : {}), ...(selfHarm !== undefined ? { selfHarm } : {}), ...interpret(ins, total, subscore) };
}

function scoreOrt(ins: Instrument, answers: Answers, sex: string | undefined): Scored | NotScored {
  if (sex !== 'female' && sex !== 'male') return { ok: false, problems: ['the ORT (Webster 2005) scores by sex: female or male is needed'] };
  const problems: string[] = [];
  const items: Record<string, number> = {};
  for (const it of ins.items) {
    const given = answers[it.linkId];
    const yes = given === true || given === 'yes';
    if (!yes && given !== false && given !== 'no') problems.push(`${it.linkId}: answer yes or no`);
    items[it.linkId] = yes ? (it.points?.[sex] ?? 0) : 0;
  }
  if (problems.length) return { ok: false, problems };
  const total = Object.values(items).reduce((a, b) => a + b, 0);
  return { ok: true, instrument: ins, total, items, ...interpret(ins, total) };
}

/**
 * What a score means: the band that holds it; for STarT Back the risk group
 * (total 3 or less low; otherwise the distress subscore decides medium or
 * high, and without it the group is "medium or high").
 */
export function interpret(ins: Instrument, total: number, subscore?: number): Interpretation {
  if (ins.scoring === 'startback' && ins.riskGroups) {
    if (total <= ins.riskGroups.lowMaxTotal) return { label: 'low risk', level: 0 };
    if (subscore === undefined) return { label: 'medium or high risk (distress subscore not recorded)', level: 2 };
    return subscore >= ins.riskGroups.highMinSubscore ? { label: 'high risk', level: 3 } : { label: 'medium risk', level: 2 };
  }
  const b = bandOf(ins, total);
  return b ? { label: b.label, level: b.level } : { label: 'outside the scale', level: 0 };
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
