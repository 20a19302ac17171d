import type { Goal, Observation } from 'fhir/r4';
import type { GasTable, Rater } from './tables.js';

/**
 * Goals and Goal Attainment Scaling scores as recorded in the patient's record
 * (HL7 PCO IG): a GAS goal is a Goal with the pco-goal-attainment-scaling
 * extension or the GAS target measure; plain Goals (the justification form's
 * functional goals before GAS) are still read. Scores are Observations found
 * by code (any category: the IG's practitioner example says functional-status,
 * the others none) whose focus is the Goal and whose value is an answer of
 * LOINC LL6900-6. A scaling entry without a level (0..1 in the IG) is kept as
 * text. Scores entered in error, not final, undated or with an unknown answer
 * are not read.
 */
export interface GoalRecord {
  readonly ref: string;
  readonly text: string;
  readonly gas: boolean;
  readonly goalsOfCare: boolean;
  readonly active: boolean;
  /** The described levels, in the order written; `value` null for an entry without a level. */
  readonly levels: readonly { readonly value: number | null; readonly text: string }[];
  readonly due: string | null;
  readonly start: string | null;
  readonly weight: number;
  /** The patient's stated priority (Goal.priority code: high-priority, medium-priority, low-priority), if recorded. */
  readonly priority: string | null;
  /** References this goal addresses (a justification it was agreed for: DetectedIssue/x). */
  readonly addresses: readonly string[];
}

export interface GasScore {
  readonly goalRef: string;
  readonly rater: Rater;
  readonly level: number;
  readonly display: string;
  readonly date: Date;
}

const READABLE = new Set(['final', 'amended', 'corrected']);
const ACTIVE = new Set(['active', 'accepted']);

/** `Goal/x` from a relative, absolute or versioned reference; undefined for anything else. */
export function goalRef(reference: string | undefined): string | undefined {
  const m = reference?.match(/(?:^|\/)Goal\/([^/]+)(?:\/_history\/[^/]+)?$/);
  return m ? `Goal/${m[1]}` : undefined;
}

export function readGoals(goals: readonly Goal[], t: GasTable): GoalRecord[] {
  return goals
    .filter((g) => g.id && g.lifecycleStatus !== 'entered-in-error')
    .map((g) => {
      const entries = (g.extension ?? []).filter((e) => e.url === t.extensionUrl);
      const levels = entries.map((e) => {
        const code = e.extension?.find((x) => x.url === 'level')?.valueCoding;
        const level = code ? t.levels.find((l) => l.code === code.code && (!code.system || code.system === l.system)) : undefined;
        return { value: level?.value ?? null, text: e.extension?.find((x) => x.url === 'text')?.valueString ?? '' };
      });
      const measured = (g.target ?? []).some((tg) => tg.measure?.coding?.some((c) => c.system === t.targetMeasure.system && c.code === t.targetMeasure.code));
      const priority = g.priority?.coding?.find((c) => c.code && t.priorityWeights[c.code] !== undefined)?.code;
      const due = g.target?.find((tg) => tg.dueDate)?.dueDate ?? null;
      return {
        ref: `Goal/${g.id}`,
        text: g.description?.text?.trim() || g.description?.coding?.find((c) => c.display)?.display || levels.find((l) => l.value === 0)?.text || 'Goal without a description',
        gas: entries.length > 0 || measured,
        goalsOfCare: (g.category ?? []).some((c) => c.coding?.some((x) => x.system === t.goalsOfCareCategory.system && x.code === t.goalsOfCareCategory.code)),
        active: ACTIVE.has(g.lifecycleStatus),
        levels,
        due,
        start: g.startDate ?? null,
        weight: t.weighting === 'priority' && priority ? t.priorityWeights[priority]! : 1,
        priority: priority ?? null,
        addresses: (g.addresses ?? []).flatMap((a) => (a.reference ? [a.reference.replace(/^.*\/([A-Za-z]+\/[^/]+)$/, '$1')] : [])),
      };
    });
}

export function readGasScores(observations: readonly Observation[], t: GasTable): GasScore[] {
  const out: GasScore[] = [];
  for (const o of observations) {
    if (!READABLE.has(o.status)) continue;
    const code = o.code?.coding?.map((c) => t.scoreCodes.find((s) => s.system === c.system && s.code === c.code)).find(Boolean);
    if (!code) continue;
    const ref = (o.focus ?? []).map((f) => goalRef(f.reference)).find(Boolean);
    const answer = o.valueCodeableConcept?.coding?.map((c) => t.levels.find((l) => l.code === c.code && (!c.system || c.system === l.system))).find(Boolean);
    const date = new Date(o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued ?? '');
    if (!ref || !answer || Number.isNaN(date.getTime())) continue;
    out.push({ goalRef: ref, rater: code.rater, level: answer.value, display: answer.display, date });
  }
  return out.sort((a, b) => a.date.getTime() - b.date.getTime());
}
