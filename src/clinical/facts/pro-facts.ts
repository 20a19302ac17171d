import type { PatientFacts } from './catalog.js';
import type { PatientContext } from '../patient-context.js';
import { buildDials, dueInstruments, nonDrugOptionsFor, pegBenefit, type Dial } from '../pro/dials.js';
import type { ProKnowledge } from '../pro/knowledge.js';
import { proReadings, selfHarmAnswers, type ProReading } from '../pro/readings.js';
import { isoDay } from '../dates.js';

/**
 * The whole-person facts: the dials of the mixing board, what is due, the
 * non-drug options of the dials turned up, PHQ-9 item 9, the current
 * mental-health and ORT findings, and the PEG benefit on opioid therapy.
 * Only current values (within their instrument's validity window) feed a
 * threshold; older ones are shown as dated.
 */
const DAY = 86_400_000;

export function proPatientFacts(context: PatientContext, k: ProKnowledge, opioid: { readonly therapyDays: number | null; readonly hasOpioids: boolean }): Partial<PatientFacts> {
  const table = k.instruments;
  const now = context.now;
  const readings = proReadings(context.observations, table);
  const dials = buildDials(readings, table, now, k.levels.trendWindowDays);
  const longTerm = opioid.therapyDays !== null && opioid.therapyDays >= k.levels.longTermOpioidDays;
  const due = dueInstruments(readings, table, now, { longTermOpioids: longTerm, reassessIntervalDays: k.levels.reassessIntervalDays });
  const current = (id: string) => currentReading(readings, id, now);
  const phq9 = current('phq9');
  const phq2 = current('phq2');
  const gad7 = current('gad7');
  const ort = current('ort');
  const ortRisk = ort ? (table.instruments.find((i) => i.id === 'ort')!.bands.find((b) => ort.value >= b.min && ort.value <= b.max)?.label ?? null) : null;
  const findings = [
    ...(phq9 && phq9.value >= k.levels.phq9Referral ? [`PHQ-9 ${phq9.value} on ${isoDay(phq9.date)} (${k.levels.phq9Referral} or more)`] : []),
    ...(phq2 && phq2.value >= k.levels.phq2Referral ? [`PHQ-2 ${phq2.value} on ${isoDay(phq2.date)} (a positive screen, ${k.levels.phq2Referral} or more)`] : []),
    ...(gad7 && gad7.value >= k.levels.gad7Referral ? [`GAD-7 ${gad7.value} on ${isoDay(gad7.date)} (${k.levels.gad7Referral} or more)`] : []),
    ...(ortRisk === 'high risk' && ort ? [`Opioid Risk Tool ${ort.value} on ${isoDay(ort.date)} (high risk)`] : []),
  ];
  const selfHarm = latestSelfHarm(context, k, now);
  const peg = pegBenefit(readings, now, { windowDays: k.levels.pegBenefitWindowDays, improvementPercent: k.levels.pegImprovementPercent, lookbackDays: k.levels.trendWindowDays });
  const raised = dials.filter((d) => d.status === 'current' && (d.level ?? 0) >= 2);
  const dated = dials.filter((d) => d.status === 'dated');
  const measured = dials.some((d) => d.status !== 'never');
  const dueNames = due.map((i) => i.name);
  return {
    'pro.measured': measured,
    'pro.dials': dials.map(dialRow),
    'pro.raised': raised.map((d) => `${d.label}: ${d.text}`),
    'pro.datedNote': dated.length ? `Shown as dated, not as current status: ${dated.map((d) => d.text.replace(/^dated: /, '')).join('; ')}.` : '',
    'pro.due': dueNames,
    'pro.dueText': dueNames.length ? `${joinNames(dueNames)}${longTerm && due.some((i) => i.id === 'peg') ? ` (long-term opioid therapy with no PEG in the last ${k.levels.reassessIntervalDays} days: a CDC 2022 reassessment point, Recommendation 7)` : ''}` : 'none',
    'pro.reassessmentDue': longTerm && due.some((i) => i.id === 'peg'),
    'pro.summaryText': summary(measured, raised.length, dials.length, dueNames),
    'pro.nonDrugOptions': nonDrugOptionsFor(dials, k.nonDrug),
    'pro.selfHarm': selfHarm !== undefined && selfHarm.score > 0,
    'pro.selfHarmText': selfHarm && selfHarm.score > 0 ? `"${selfHarm.answer}" on ${isoDay(selfHarm.date)}` : '',
    'pro.phq9Total': phq9?.value ?? null,
    'pro.phq2Total': phq2?.value ?? null,
    'pro.gad7Total': gad7?.value ?? null,
    'pro.ortRisk': ortRisk,
    'pro.mentalHealthFindings': findings,
    'pro.pegBenefitNotShown': peg.notShown,
    'pro.pegChangeText': peg.text,
    'pro.hasOpioidsOrMeasures': opioid.hasOpioids || measured,
  };
}

function currentReading(readings: readonly ProReading[], id: string, now: Date): ProReading | undefined {
  const latest = readings.filter((r) => r.instrument.id === id && r.date.getTime() <= now.getTime() + DAY).at(-1);
  return latest && now.getTime() - latest.date.getTime() <= latest.instrument.validityDays * DAY ? latest : undefined;
}

/** The latest answer to PHQ-9 item 9 within the PHQ-9 validity window (a later answer of 0 replaces an earlier positive one). */
function latestSelfHarm(context: PatientContext, k: ProKnowledge, now: Date) {
  const validity = k.instruments.instruments.find((i) => i.selfHarmItem)?.validityDays;
  if (validity === undefined) return undefined;
  const latest = selfHarmAnswers(context.observations, k.instruments).filter((a) => a.date.getTime() <= now.getTime() + DAY).at(-1);
  return latest && now.getTime() - latest.date.getTime() <= validity * DAY ? latest : undefined;
}

function dialRow(d: Dial): Record<string, unknown> {
  return { dimension: d.label, status: d.status, instrument: d.instrument, value: d.value, band: d.band, level: d.level, date: d.date, change: d.change, text: d.text, trend: d.trend, mcid: d.mcid, validityDays: d.validityDays };
}

function summary(measured: boolean, raised: number, total: number, due: readonly string[]): string {
  const dueText = due.length ? `; due: ${joinNames(due)}` : '';
  if (!measured) return `Whole person: no pain, function or mood measures on file${dueText}`;
  return `Whole person: ${raised} of ${total} dimensions turned up${dueText}`;
}

const joinNames = (names: readonly string[]) => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);
