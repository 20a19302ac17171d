import type { CodeableConcept, Observation, ObservationComponent, Quantity } from 'fhir/r4';
import type { Instrument, ProInstrumentTable } from './tables.js';

/**
 * Scores of the whole-person instruments as recorded in the patient's
 * Observations (category survey, LOINC-coded; plug-in instruments by the code
 * their table row names): totals, the STarT Back distress subscore, and the
 * answer to PHQ-9 item 9 (thoughts of self-harm), whether recorded as its own
 * Observation or as a component. Observations entered in error, cancelled or
 * not yet final are not read; one without a date cannot be placed in time and
 * is not read either.
 */
export interface ProReading {
  readonly instrument: Instrument;
  readonly value: number;
  readonly subscore?: number;
  readonly date: Date;
}

export interface SelfHarmAnswer {
  readonly score: number;
  readonly answer: string;
  readonly date: Date;
}

const READABLE = new Set(['final', 'amended', 'corrected']);

export function proReadings(observations: readonly Observation[], table: ProInstrumentTable): ProReading[] {
  const out: ProReading[] = [];
  const subscores = new Map<string, number>();
  for (const ins of table.instruments) {
    if (!ins.subscore) continue;
    for (const o of observations) {
      const date = observedAt(o);
      const value = numeric(o);
      if (date && value !== undefined && READABLE.has(o.status) && hasCode(o.code, ins.subscore)) subscores.set(`${ins.id}@${date.getTime()}`, value);
    }
  }
  for (const o of observations) {
    if (!READABLE.has(o.status)) continue;
    const date = observedAt(o);
    if (!date) continue;
    for (const ins of table.instruments) {
      if (!hasCode(o.code, ins.total)) continue;
      const value = numeric(o);
      if (value === undefined) continue;
      const component = ins.subscore ? o.component?.find((c) => hasCode(c.code, ins.subscore!)) : undefined;
      const sub = component ? numeric(component) : subscores.get(`${ins.id}@${date.getTime()}`);
      out.push({ instrument: ins, value, date, ...(sub !== undefined ? { subscore: sub } : {}) });
    }
  }
  return out.sort((a, b) => a.date.getTime() - b.date.getTime());
}

/** Every recorded answer to the self-harm item (PHQ-9 item 9), oldest first. */
export function selfHarmAnswers(observations: readonly Observation[], table: ProInstrumentTable): SelfHarmAnswer[] {
  const phq9 = table.instruments.find((i) => i.selfHarmItem);
  if (!phq9?.selfHarmItem) return [];
  const code = { system: 'http://loinc.org', code: phq9.selfHarmItem };
  const answerSet = table.answerSets[phq9.items.find((i) => i.linkId === phq9.selfHarmItem)?.answers ?? ''];
  const out: SelfHarmAnswer[] = [];
  const read = (holder: Observation | ObservationComponent, date: Date) => {
    const concept = holder.valueCodeableConcept;
    const option = concept ? answerSet?.options.find((opt) => concept.coding?.some((c) => c.code === opt.code)) : undefined;
    const score = option?.score ?? numeric(holder);
    if (score === undefined) return;
    out.push({ score, answer: option?.display ?? concept?.text ?? String(score), date });
  };
  for (const o of observations) {
    if (!READABLE.has(o.status)) continue;
    const date = observedAt(o);
    if (!date) continue;
    if (hasCode(o.code, code)) read(o, date);
    else for (const c of o.component ?? []) if (hasCode(c.code, code)) read(c, date);
  }
  return out.sort((a, b) => a.date.getTime() - b.date.getTime());
}

function hasCode(concept: CodeableConcept | undefined, coding: { readonly system: string; readonly code: string }): boolean {
  return (concept?.coding ?? []).some((c) => c.code === coding.code && (c.system === coding.system || c.system === undefined));
}

function numeric(holder: { valueQuantity?: Quantity; valueInteger?: number; valueString?: string }): number | undefined {
  const v = holder.valueQuantity?.value ?? holder.valueInteger;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function observedAt(o: Observation): Date | undefined {
  const raw = o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued;
  if (!raw) return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
