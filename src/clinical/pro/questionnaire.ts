import type { Observation, Questionnaire, QuestionnaireResponse } from 'fhir/r4';
import { scoreAnswers, type Answers, type Scored } from './scoring.js';
import type { Instrument, ProInstrumentTable } from './tables.js';

/**
 * FHIR R4 Questionnaires generated from the instrument table (only instruments
 * whose licence allows shipping the items), and, for a completed form, the
 * QuestionnaireResponse and the score Observations (category survey,
 * LOINC-coded, derivedFrom the response) that the SMART app writes to the EHR.
 */
const QUESTIONNAIRE_BASE = 'urn:pain-cds:questionnaire';
const SURVEY = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey', display: 'Survey' }] };

export function questionnaireFor(table: ProInstrumentTable, ins: Instrument, version: string): Questionnaire | undefined {
  if (!ins.renderInApp) return undefined;
  return {
    resourceType: 'Questionnaire',
    id: ins.id,
    url: `${QUESTIONNAIRE_BASE}/${ins.id}`,
    version,
    name: ins.name.replace(/[^A-Za-z0-9]/g, ''),
    title: ins.title,
    status: 'active',
    subjectType: ['Patient'],
    ...(ins.panel ? { code: [{ system: ins.panel.system, code: ins.panel.code, display: ins.panel.display }] } : {}),
    copyright: ins.licence,
    ...(ins.preamble ? { description: ins.preamble } : {}),
    item: ins.items.map((it) => {
      const set = table.answerSets[it.answers ?? ''];
      return {
        linkId: it.linkId,
        ...(it.code ? { code: [{ system: 'http://loinc.org', code: it.code }] } : {}),
        text: it.text ?? it.label ?? it.linkId,
        type: 'choice' as const,
        required: true,
        answerOption: (set?.options ?? []).map((o) => ({ valueCoding: { system: set?.system ?? 'urn:pain-cds:answer', code: o.code, display: o.display } })),
      };
    }),
  };
}

export interface CompletedForm {
  readonly questionnaireResponse: QuestionnaireResponse;
  /** Score Observations; their derivedFrom names `QuestionnaireResponse/{responseId}`. */
  readonly observations: Observation[];
  readonly scored: Scored;
}

/**
 * The resources of one completed form, or the problems that keep it from being
 * scored (a missing or unknown answer). `responseId` is the id the app gives
 * the response before writing it (the Observations reference it).
 */
export function completeForm(
  table: ProInstrumentTable,
  tableVersion: string,
  input: { readonly instrumentId: string; readonly answers: Answers; readonly patientId: string; readonly authored: Date; readonly responseId: string; readonly author?: { readonly reference: string; readonly display?: string } },
): CompletedForm | { problems: readonly string[] } {
  const ins = table.instruments.find((i) => i.id === input.instrumentId);
  if (!ins?.renderInApp) return { problems: [`'${input.instrumentId}' is not a questionnaire this app renders`] };
  const scored = scoreAnswers(table, ins.id, input.answers);
  if (!scored.ok) return { problems: scored.problems };
  const subject = { reference: `Patient/${input.patientId}` };
  const when = input.authored.toISOString();
  const qr: QuestionnaireResponse = {
    resourceType: 'QuestionnaireResponse',
    id: input.responseId,
    questionnaire: `${QUESTIONNAIRE_BASE}/${ins.id}|${tableVersion}`,
    status: 'completed',
    subject,
    authored: when,
    ...(input.author ? { author: input.author } : {}),
    item: ins.items.map((it) => {
      const set = table.answerSets[it.answers ?? ''];
      const option = set?.options.find((o) => o.code === String(input.answers[it.linkId]));
      return { linkId: it.linkId, ...(it.text ? { text: it.text } : {}), answer: [{ valueCoding: { system: set?.system ?? 'urn:pain-cds:answer', code: option!.code, display: option!.display } }] };
    }),
  };
  const derivedFrom = [{ reference: `QuestionnaireResponse/${input.responseId}` }];
  const score = (code: { system: string; code: string; display: string; unit: string }, value: number, extra: Partial<Observation> = {}): Observation => ({
    resourceType: 'Observation',
    status: 'final',
    category: [SURVEY],
    code: { coding: [{ system: code.system, code: code.code, display: code.display }], text: code.display },
    subject,
    effectiveDateTime: when,
    valueQuantity: { value, unit: code.unit.replace(/[{}]/g, ''), system: 'http://unitsofmeasure.org', code: code.unit },
    derivedFrom,
    ...extra,
  });
  const observations: Observation[] = [score(ins.total, scored.total, { interpretation: [{ text: scored.label }] })];
  if (ins.subscore && scored.subscore !== undefined) observations.push(score(ins.subscore, scored.subscore));
  if (ins.selfHarmItem && scored.selfHarm !== undefined) {
    const set = table.answerSets[ins.items.find((i) => i.linkId === ins.selfHarmItem)?.answers ?? ''];
    const option = set?.options.find((o) => o.score === scored.selfHarm);
    const item = ins.items.find((i) => i.linkId === ins.selfHarmItem);
    observations.push({
      resourceType: 'Observation',
      status: 'final',
      category: [SURVEY],
      code: { coding: [{ system: 'http://loinc.org', code: ins.selfHarmItem, display: item?.text ?? ins.selfHarmItem }] },
      subject,
      effectiveDateTime: when,
      valueCodeableConcept: { coding: [{ system: set?.system ?? 'http://loinc.org', code: option?.code ?? String(scored.selfHarm), display: option?.display ?? String(scored.selfHarm) }] },
      derivedFrom,
    });
  }
  return { questionnaireResponse: qr, observations, scored };
}
