import { interpret } from './scoring.js';
import type { ProReading } from './readings.js';
import type { Instrument, NonDrugTable, ProInstrumentTable } from './tables.js';
import { isoDay } from '../dates.js';

/**
 * The "mixing board": one dial per dimension (pain, interference, mood,
 * anxiety, sleep, catastrophizing or psychosocial risk, social support,
 * opioid risk), each with its latest value, band, date, whether it is current
 * (within its instrument's validity window) or dated, and its trend over the
 * last year against the instrument's minimal clinically important difference.
 * A dimension never measured says so; it never shows zero.
 */
export interface Dial {
  readonly dimension: string;
  readonly label: string;
  readonly status: 'current' | 'dated' | 'never';
  readonly instrument: string | null;
  readonly value: number | null;
  readonly band: string | null;
  /** 0 none, 1 mild, 2 moderate or positive, 3 severe or high; null when never measured. */
  readonly level: number | null;
  /** YYYY-MM-DD of the latest value. */
  readonly date: string | null;
  readonly validityDays: number | null;
  readonly mcid: number | null;
  /** Values of the last year, oldest first. */
  readonly trend: readonly { readonly date: string; readonly value: number }[];
  /** The change over the last year, for people. */
  readonly change: string;
  /** For the table cell: "14 (moderate), 2026-05-01" or "dated: ..." or "never measured". */
  readonly text: string;
}

const DAY = 86_400_000;

export function buildDials(readings: readonly ProReading[], table: ProInstrumentTable, now: Date, trendWindowDays: number): Dial[] {
  return table.dimensions.map((dim) => {
    const own = readings.filter((r) => dim.instruments.includes(r.instrument.id) && r.date.getTime() <= now.getTime() + DAY);
    const latest = own[own.length - 1];
    if (!latest) {
      const what = dim.instruments.length ? `never measured (${dim.instruments.map((id) => table.instruments.find((i) => i.id === id)?.name ?? id).join(' or ')})` : 'not measured: no instrument configured at this site';
      return { dimension: dim.id, label: dim.label, status: 'never', instrument: null, value: null, band: null, level: null, date: null, validityDays: null, mcid: null, trend: [], change: '', text: what };
    }
    const ins = latest.instrument;
    const current = now.getTime() - latest.date.getTime() <= ins.validityDays * DAY;
    const meaning = interpret(ins, latest.value, latest.subscore);
    const year = own.filter((r) => r.instrument.id === ins.id && now.getTime() - r.date.getTime() <= trendWindowDays * DAY);
    const trend = year.map((r) => ({ date: isoDay(r.date), value: r.value }));
    const valueText = `${ins.name} ${formatScore(ins, latest.value)} (${meaning.label})`;
    return {
      dimension: dim.id,
      label: dim.label,
      status: current ? 'current' : 'dated',
      instrument: ins.name,
      value: latest.value,
      band: meaning.label,
      level: meaning.level,
      date: isoDay(latest.date),
      validityDays: ins.validityDays,
      mcid: ins.mcid,
      trend,
      change: changeText(year, ins),
      text: current ? `${valueText}, ${isoDay(latest.date)}` : `dated: ${valueText} on ${isoDay(latest.date)}, older than ${ins.validityDays} days, not current`,
    };
  });
}

/** "worse by 6 since 2025-09-01 (clinically important: 5 or more)", "no clinically important change", "one value this year". */
function changeText(year: readonly ProReading[], ins: Instrument): string {
  if (year.length < 2) return year.length === 1 ? 'one value in the last year' : 'no value in the last year';
  const first = year[0]!;
  const last = year[year.length - 1]!;
  const delta = Math.round((last.value - first.value) * 10) / 10;
  if (delta === 0) return `unchanged since ${isoDay(first.date)}`;
  const direction = delta > 0 ? 'worse' : 'better';
  const size = `${direction} by ${formatValue(Math.abs(delta))} since ${isoDay(first.date)}`;
  if (ins.mcid === null) return `${size} (no minimal clinically important difference set)`;
  return Math.abs(delta) >= ins.mcid ? `${size}: clinically important (${formatValue(ins.mcid)} or more)` : `${size}: less than the clinically important ${formatValue(ins.mcid)}`;
}

export const formatValue = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
/** A score with its instrument's decimals (PEG 7.0, PHQ-9 14). */
const formatScore = (ins: Instrument, v: number) => (ins.decimals > 0 ? v.toFixed(ins.decimals) : String(Math.round(v)));

/** The non-drug options of every dimension whose current dial is turned up (moderate, positive or worse). */
export function nonDrugOptionsFor(dials: readonly Dial[], options: NonDrugTable): { dimension: string; option: string; evidence: string; source: string }[] {
  const raised = dials.filter((d) => d.status === 'current' && (d.level ?? 0) >= 2);
  return raised.flatMap((d) => options.options.filter((o) => o.dimension === d.dimension).map((o) => ({ dimension: d.label, option: o.option, evidence: o.evidence, source: o.source })));
}

/** The core instruments due: none current, or (on long-term opioid therapy) no PEG within the reassessment interval. */
export function dueInstruments(readings: readonly ProReading[], table: ProInstrumentTable, now: Date, opts: { readonly longTermOpioids: boolean; readonly reassessIntervalDays: number }): Instrument[] {
  const due: Instrument[] = [];
  const lastOf = (ids: readonly string[]) => readings.filter((r) => ids.includes(r.instrument.id)).at(-1);
  const core: [string, readonly string[]][] = [['peg', ['peg']], ['phq9', ['phq9', 'phq2']], ['gad7', ['gad7']]];
  for (const [id, covering] of core) {
    const ins = table.instruments.find((i) => i.id === id);
    if (!ins) continue;
    const last = lastOf(covering);
    const window = id === 'peg' && opts.longTermOpioids ? Math.min(ins.validityDays, opts.reassessIntervalDays) : last?.instrument.validityDays ?? ins.validityDays;
    if (!last || now.getTime() - last.date.getTime() > window * DAY) due.push(ins);
  }
  return due;
}

/**
 * PEG benefit over three months of opioid therapy: the latest current PEG
 * against the most recent PEG at least `windowDays` older (within a year). Not
 * improved by `improvementPercent` is information for the prescriber (benefit
 * not shown), never a reason to stop abruptly.
 */
export function pegBenefit(readings: readonly ProReading[], now: Date, opts: { readonly windowDays: number; readonly improvementPercent: number; readonly lookbackDays: number }): { notShown: boolean; text: string } {
  const peg = readings.filter((r) => r.instrument.id === 'peg');
  const latest = peg.at(-1);
  if (!latest || now.getTime() - latest.date.getTime() > latest.instrument.validityDays * DAY) return { notShown: false, text: '' };
  const baseline = peg.filter((r) => latest.date.getTime() - r.date.getTime() >= opts.windowDays * DAY && now.getTime() - r.date.getTime() <= opts.lookbackDays * DAY).at(-1);
  if (!baseline || baseline.value === 0) return { notShown: false, text: '' };
  const percent = Math.round(((baseline.value - latest.value) / baseline.value) * 100);
  const text = `PEG ${formatScore(latest.instrument, baseline.value)} on ${isoDay(baseline.date)}, ${formatScore(latest.instrument, latest.value)} on ${isoDay(latest.date)}: ${percent >= 0 ? `${percent}% better` : `${-percent}% worse`}`;
  return { notShown: percent < opts.improvementPercent, text };
}
