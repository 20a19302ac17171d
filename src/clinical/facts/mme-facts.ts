import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import type { PainKnowledge } from '../domain.js';
import { drugName, isActiveUse } from '../medication.js';
import { computeMmeSummary, identifyOpioid, type MmeSummary } from '../mme/index.js';
import type { PatientContext } from '../patient-context.js';
import { ageInYears, cnsDepressants, daysBetween, daysSupply, hasRecord, lastPdmpReview, mmeScopeExclusions, naloxoneOnHand, oudOrOverdose } from '../safeguards.js';

/** Dose and safeguard facts (CDC 2022) for rules and templates. */
const DAY = 86_400_000;

const PRETTY_UNAVAILABLE: Record<string, string> = {
  medicationRequests: 'active medication orders',
  medicationStatements: 'medication statements',
  conditions: 'problem list',
  observations: 'laboratory results (CYP2D6)',
  procedures: 'procedures (PDMP reviews)',
  detectedIssues: 'documented justifications',
  patient: 'patient demographics',
};

export function mmePatientFacts(
  context: PatientContext,
  records: readonly (MedicationRequest | MedicationStatement)[],
  k: PainKnowledge,
  pdmpReviewRecorded?: Date,
): { facts: Record<string, unknown>; summary: MmeSummary } {
  const vs = k.valueSets;
  const now = context.now;
  const summary = computeMmeSummary({ draftOrders: context.draftOrders, records, resolveMedication: context.resolveMedication }, k.mme);
  const exclusions = mmeScopeExclusions({ patient: context.patient, conditions: context.conditions, procedures: context.procedures, now }, vs);
  const active = records.filter(isActiveUse);

  const opioidDraft = (o: MedicationRequest) => {
    const id = identifyOpioid(o, context.resolveMedication, k.mme);
    return id.kind !== 'not-opioid' && !id.oudTreatment;
  };
  const draftOpioids = context.draftOrders.filter(opioidDraft);
  const cns = cnsDepressants(
    [...active.map((order) => ({ order, isDraft: false })), ...context.draftOrders.map((order) => ({ order, isDraft: true }))],
    vs,
    context.resolveMedication,
  );
  const anyOpioid = summary.painOpioidActive + summary.painOpioidDrafts > 0;
  const coPrescribed = cns.length > 0 && anyOpioid && (draftOpioids.length > 0 || cns.some((c) => c.isDraft));
  const classes = [...new Set(cns.map((c) => c.cnsClass.replace('-', ' ')))];
  const benzo = cns.some((c) => c.cnsClass === 'benzodiazepine');
  const triple = benzo && cns.some((c) => c.cnsClass !== 'benzodiazepine');

  const naloxone = naloxoneOnHand(active, vs, context.resolveMedication);
  const oud = oudOrOverdose(context.conditions, vs);
  const riskFactors = [
    ...(summary.total > 0 ? [`total ${Math.round(summary.total)} MME/day`] : []),
    ...(benzo ? [`benzodiazepine (${cns.filter((c) => c.cnsClass === 'benzodiazepine').map((c) => c.drug).join(', ')})`] : []),
    ...oud,
  ];

  const documented = lastPdmpReview(context.procedures, context.observations, vs);
  const lastReview = [documented, pdmpReviewRecorded].filter((d): d is Date => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
  const opioidOrders = [...active, ...context.draftOrders].filter((o) => {
    const id = identifyOpioid(o, context.resolveMedication, k.mme);
    return id.kind !== 'not-opioid' && !id.oudTreatment;
  });
  // How long opioid therapy has gone on, and when opioids were last used: the rules decide what is long-term or recent.
  const opioidDays = Math.max(
    0,
    ...opioidOrders.map((o) => {
      if (o.resourceType !== 'MedicationRequest') return 0;
      const supply = daysSupply(o) ?? 0;
      const running = o.status === 'active' && o.authoredOn ? daysBetween(new Date(o.authoredOn), now) : 0;
      return Math.max(supply, running);
    }),
  );
  const lastUse = records.reduce<number | null>((latest, o) => {
    const id = identifyOpioid(o, context.resolveMedication, k.mme);
    if (id.kind === 'not-opioid' || id.oudTreatment) return latest;
    if (isActiveUse(o)) return 0;
    const when = o.resourceType === 'MedicationRequest' ? o.authoredOn : (o.effectiveDateTime ?? o.effectivePeriod?.end);
    const t = when ? Date.parse(when) : NaN;
    if (Number.isNaN(t)) return latest;
    const days = Math.max(0, Math.floor((now.getTime() - t) / DAY));
    return latest === null ? days : Math.min(latest, days);
  }, null);

  const incompleteNote = summary.complete
    ? ''
    : `**Incomplete total:** not counted: ${summary.incomplete.map((o) => `${o.drug} (${o.reason})`).join('; ')}. The real total is higher than shown.`;
  const unavailable = context.unavailable.map((u) => PRETTY_UNAVAILABLE[u.key] ?? u.key);
  const age = ageInYears(context.patient, now);
  const tonsil =
    hasRecord(context.procedures, 'tonsillectomy', vs) ||
    hasRecord(context.conditions, 'tonsillectomy', vs) ||
    context.draftOrders.some((d) => (d.reasonCode ?? []).some((r) => vs.match('tonsillectomy', r)));
  const breastfeeding = context.conditions.some((c) => vs.match('breastfeeding', c.code)) || context.observations.some((o) => vs.match('breastfeeding', o.code) || vs.match('breastfeeding', o.valueCodeableConcept));

  const facts: Record<string, unknown> = {
    'patient.ageYears': age,
    'patient.tonsillectomy': tonsil,
    'patient.breastfeeding': breastfeeding,
    'data.checksMissing': unavailable.length > 0,
    'data.unavailable': unavailable,
    'data.unavailableNote': unavailable.length ? `Could not be checked (data unavailable): ${unavailable.join(', ')}.` : '',
    'mme.hasOpioids': anyOpioid,
    'mme.total': summary.total,
    'mme.existing': summary.existing,
    'mme.added': summary.added,
    'mme.complete': summary.complete,
    'mme.incompleteNote': incompleteNote,
    'mme.orders': summary.orders.map((o) => ({
      drug: o.drug,
      sig: o.sig,
      dailyAmount: o.dailyAmount ?? 'not computable',
      factor: o.factor ?? (o.status === 'counted' ? 'several' : '-'),
      mme: o.mme ?? `not counted: ${o.reason}`,
      isDraft: o.isDraft,
      status: o.status,
      prn: o.prn,
    })),
    'mme.factorSet': k.dataVersions.mme.join(', '),
    'mme.outOfScope': exclusions.length > 0,
    'mme.outOfScopeReasons': exclusions.map((e) => e.display),
    'mme.scopeNote': exclusions.length
      ? `The CDC 2022 guideline does not apply to this patient (${exclusions.map((e) => e.display).join('; ')}), so dose thresholds raise no alerts. Pharmacogenomic advice still applies.`
      : '',
    'opioids.draftCount': draftOpioids.length,
    'opioids.activeCount': summary.painOpioidActive,
    'opioids.daysSinceLastUse': lastUse,
    'naloxone.onHand': naloxone !== undefined,
    'safeguards.riskFactors': riskFactors,
    'safeguards.summaryNote': summaryNote(riskFactors, naloxone, lastReview),
    'cns.classes': classes,
    'cns.drugs': [...new Set(cns.map((c) => c.drug))],
    'cns.benzodiazepine': benzo,
    'cns.coPrescribedWithThisOrder': coPrescribed,
    'cns.tripleNote': triple ? '**An opioid, a benzodiazepine and another CNS depressant are combined:** this combination carries the highest risk.' : '',
    'risk.oudOrOverdose': oud.length > 0,
    'therapy.opioidDays': opioidDays,
    'pdmp.daysSinceReview': lastReview ? daysBetween(lastReview, now) : null,
    'pdmp.lastReviewText': lastReview ? `last review on record ${lastReview.toISOString().slice(0, 10)}` : 'no review on record',
  };
  return { facts, summary };
}

function summaryNote(risks: string[], naloxone: string | undefined, lastReview: Date | undefined): string {
  const parts = [
    `**Risk factors:** ${risks.length ? risks.join('; ') : 'none found'}.`,
    `**Naloxone on hand:** ${naloxone ? `yes (${naloxone})` : 'no'}.`,
    `**PDMP:** ${lastReview ? `last reviewed ${lastReview.toISOString().slice(0, 10)}` : 'no review on record'}.`,
  ];
  return parts.join(' ');
}

export function mmeOrderFacts(order: MedicationRequest, summary: MmeSummary, context: PatientContext, k: PainKnowledge): Record<string, unknown> {
  const id = identifyOpioid(order, context.resolveMedication, k.mme);
  const ref = `MedicationRequest/${order.id ?? 'unidentified'}`;
  const row = summary.orders.find((o) => o.isDraft && o.ref === ref);
  const ingredient = id.kind === 'opioid' ? id.components[0]!.ingredient : id.kind === 'unresolved' ? (id.ingredient ?? null) : null;
  return {
    'order.ref': ref,
    'order.drug': drugName(order, context.resolveMedication),
    'order.ingredient': ingredient,
    'order.isPainOpioid': id.kind !== 'not-opioid' && !id.oudTreatment,
    'order.longActing': id.kind === 'opioid' && id.longActing,
    'order.mme': row?.mme ?? null,
  };
}
