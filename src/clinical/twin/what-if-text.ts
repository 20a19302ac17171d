import type { ArmExposureLevel } from './exposure-note.js';

/**
 * Plain-language sentences for talking a regimen through with the patient: what
 * the body is expected to make of it compared with most people, the dose in MME,
 * and that it is an illustration. No dosing advice.
 */
export interface SentenceInput {
  readonly drug: string;
  readonly active: string;
  readonly doseMg: number;
  readonly intervalHours: number;
  readonly level: ArmExposureLevel;
  /** Active-moiety exposure as a fraction of a normal metabolizer's on the same regimen. */
  readonly fraction: number;
  readonly mme: number | null;
  readonly inhibitors: readonly string[];
  readonly hasResult: boolean;
}

function amount(f: number, active: string): string {
  if (f >= 0.95 && f <= 1.05) return `about as much ${active} as most people`;
  if (f < 1) return `about ${Math.max(1, Math.round(f * 100))}% of the ${active} most people make`;
  return `about ${f.toFixed(1)} times the ${active} most people make`;
}

export function regimenSentences(s: SentenceInput): string[] {
  const regimen = `${s.drug} ${s.doseMg} mg every ${s.intervalHours} hours`;
  const out: string[] = [];
  if (s.level === 'not-cyp2d6-dependent') {
    out.push(`${capital(s.drug)} works by itself: the CYP2D6 gene${s.inhibitors.length ? ` and ${s.inhibitors.join(', ')}` : ''} do not change how much of it the body gets.`);
  } else {
    const pronoun = s.hasResult ? 'your body' : 'the body of someone with a typical CYP2D6 gene (your result is not known here)';
    out.push(`With ${regimen}, ${pronoun} is expected to make ${amount(s.fraction, s.active)} on the same dose (${s.active} is the part that eases pain).`);
    if (s.level === 'little-active-drug') out.push(`That is so little that this medicine may not relieve the pain.`);
    if (s.level === 'unusually-high') out.push(`That is more than usual, which can raise the chance of side effects such as sleepiness or slowed breathing.`);
    if (s.inhibitors.length) out.push(`${capital(s.inhibitors.join(' and '))} slows the enzyme that makes ${s.active}; the picture changes if ${s.inhibitors.length > 1 ? 'they are' : 'it is'} stopped.`);
  }
  out.push(s.mme === null ? 'Its strength in morphine milligram equivalents could not be worked out.' : `Its strength is about ${Math.round(s.mme)} morphine milligram equivalents (MME) a day.`);
  out.push('These curves come from average study results, not from your blood: they are for talking the options through, not a dose to follow.');
  return out;
}

const capital = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
