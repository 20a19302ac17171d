import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import type { PainKnowledge } from '../knowledge.js';
import { drugName, isActiveUse } from '../medication.js';
import { administrationsPerDay, amountPerAdministration, assessTolerance, computeMmeSummary, doseOf, identifyOpioid, toleranceRestriction, type MmeSummary, type ToleranceStatus } from '../mme/index.js';
import { isBreastfeeding, overdoseRiskConditions, toleranceLossEvent } from '../overdose-risk.js';
import type { PatientContext } from '../patient-context.js';
import { ageInYears, cnsDepressants, daysBetween, daysSupply, hasRecord, lastPdmpReview, mmeScopeExclusions, naloxoneOnHand } from '../safeguards.js';
import type { OrderFacts, PatientFacts } from './catalog.js';
import { formatMme, mmeTexts, oudBuprenorphineNote } from './mme-text.js';

/** Dose and safeguard facts (CDC 2022) for rules and templates. */
const DAY = 86_400_000;

/** What the order-level facts need from the patient-level computation of the same call. */
const perCall = new WeakMap<PatientContext, { tolerance: ToleranceStatus; lastUse: number | null; medicationListKnown: boolean; oudBuprenorphine: readonly string[] }>();

export function mmePatientFacts(
  context: PatientContext,
  records: readonly (MedicationRequest | MedicationStatement)[],
  k: PainKnowledge,
  pdmpReviewRecorded?: Date,
): { facts: Partial<PatientFacts>; summary: MmeSummary } {
  const vs = k.valueSets;
  const now = context.now;
  const params = k.mme.safety.data;
  // Unavailable is not absent: without the medication orders, the total is only what this call orders.
  const medicationListKnown = !context.unavailable.some((u) => u.key === 'medicationRequests');
  const summary = computeMmeSummary({ draftOrders: context.draftOrders, records, resolveMedication: context.resolveMedication }, k.mme);
  const exclusions = mmeScopeExclusions(
    { patient: context.patient, conditions: context.conditions, procedures: context.procedures, now, conditionWithoutStatusRecentDays: params.conditionWithoutStatusRecentDays },
    vs,
  );
  const active = records.filter(isActiveUse);
  // Buprenorphine for opioid use disorder: not a pain opioid and not in MME, but the patient is not opioid-naive.
  const oudBuprenorphine = [...new Set(active.filter((o) => {
      const id = identifyOpioid(o, context.resolveMedication, k.mme);
      return id.kind !== 'not-opioid' && id.oudTreatment;
    }).map((o) => drugName(o, context.resolveMedication)))];

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
  const riskConditions = overdoseRiskConditions(context.conditions, vs);
  const isPainOpioid = (o: MedicationRequest | MedicationStatement) => {
    const id = identifyOpioid(o, context.resolveMedication, k.mme);
    return id.kind !== 'not-opioid' && !id.oudTreatment;
  };
  const draftIds = new Set(context.draftOrders.map((d) => d.id).filter((id): id is string => Boolean(id)));
  const tolerance = assessTolerance({ records, draftIds, now, medicationListKnown, resolve: context.resolveMedication }, k.mme, k.mme.tolerance.data);
  const lossEvent = toleranceLossEvent(
    {
      conditions: context.conditions,
      procedures: context.procedures,
      observations: context.observations,
      endedOpioidOrders: records.filter((o) => (o.status === 'stopped' || o.status === 'completed') && isPainOpioid(o)),
      now,
      lookbackDays: params.toleranceLossLookbackDays,
    },
    vs,
  );
  // CDC 2022 Rec. 8: returning to opioids after tolerance was lost (a taper, a release from incarceration); the earlier dose is rarely known, so any restart counts.
  const returnAfterLoss = lossEvent !== undefined && tolerance.tolerant !== true && draftOpioids.length > 0;
  const benzoDrugs = cns.filter((c) => c.cnsClass === 'benzodiazepine').map((c) => c.drug);
  const riskFactors = [
    ...(summary.total >= k.overdoseRiskMme ? [`${summary.complete && medicationListKnown ? '' : 'at least '}${formatMme(summary.total)} in total (${k.overdoseRiskMme} MME/day or more)`] : []),
    ...(benzo ? [`benzodiazepine (${[...new Set(benzoDrugs)].join(', ')})`] : []),
    ...riskConditions.map((r) => r.text),
    ...(returnAfterLoss ? [`restarting opioids after tolerance was lost: ${lossEvent}`] : []),
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

  const age = ageInYears(context.patient, now);
  const tonsil =
    hasRecord(context.procedures, 'tonsillectomy', vs) ||
    hasRecord(context.conditions, 'tonsillectomy', vs) ||
    context.draftOrders.some((d) => (d.reasonCode ?? []).some((r) => vs.match('tonsillectomy', r)));
  const breastfeeding = isBreastfeeding(context.conditions, context.observations, vs, now, params.conditionWithoutStatusRecentDays);
  perCall.set(context, { tolerance, lastUse, medicationListKnown, oudBuprenorphine });

  const facts: Partial<PatientFacts> = {
    'patient.ageYears': age,
    'patient.tonsillectomy': tonsil,
    'patient.breastfeeding': breastfeeding,
    'mme.hasOpioids': anyOpioid,
    'mme.total': summary.total,
    'mme.existing': summary.existing,
    'mme.added': summary.added,
    'mme.complete': summary.complete,
    'mme.draftsComplete': summary.draftsComplete,
    'mme.draftsCounted': summary.draftsCounted,
    'mme.draftNotComparable': summary.notComparable.some((o) => o.isDraft),
    'mme.medicationListKnown': medicationListKnown,
    'mme.totalKnown': summary.complete && medicationListKnown,
    ...mmeTexts(summary, medicationListKnown, oudBuprenorphine),
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
    'mme.factorSource': k.mme.factorSets.map((t) => t.meta.title).join('; then '),
    'mme.outOfScope': exclusions.length > 0,
    'mme.outOfScopeReasons': exclusions.map((e) => e.display),
    'mme.scopeNote': exclusions.length
      ? `Why the CDC 2022 dose thresholds do not apply: ${exclusions.map((e) => e.display).join('; ')}. Pharmacogenomic (CYP2D6) advice still applies.`
      : '',
    'opioids.draftCount': draftOpioids.length,
    'opioids.activeCount': summary.painOpioidActive,
    'opioids.daysSinceLastUse': lastUse,
    'naloxone.onHand': naloxone !== undefined,
    'naloxone.statusText': naloxone ? `naloxone is on hand (${naloxone})` : medicationListKnown ? 'no active naloxone order was found' : 'whether naloxone is already on hand could not be checked (the medication list was unavailable)',
    'safeguards.riskFactors': riskFactors,
    'safeguards.summaryNote': summaryNote(riskFactors, naloxone, lastReview, medicationListKnown),
    'cns.classes': classes,
    'cns.drugs': [...new Set(cns.map((c) => c.drug))],
    'cns.benzodiazepine': benzo,
    'cns.coPrescribedWithThisOrder': coPrescribed,
    'cns.tripleNote': triple ? 'An opioid, a benzodiazepine and another CNS depressant are combined: this combination carries the highest risk.' : '',
    'risk.oudOrOverdose': riskConditions.some((r) => r.kind === 'oud' || r.kind === 'overdose'),
    'risk.substanceUseDisorder': riskConditions.some((r) => r.kind === 'oud' || r.kind === 'sud'),
    'risk.sleepDisorderedBreathing': riskConditions.some((r) => r.kind === 'sleep'),
    'risk.toleranceLost': returnAfterLoss,
    'cns.benzodiazepineOrderedWithOpioid': cns.some((c) => c.cnsClass === 'benzodiazepine' && c.isDraft) && summary.painOpioidActive > 0,
    'opioids.tolerant': tolerance.tolerant,
    'opioids.toleranceText': tolerance.text,
    'therapy.opioidDays': opioidDays,
    'pdmp.daysSinceReview': lastReview ? daysBetween(lastReview, now) : null,
    'pdmp.lastReviewText': lastReview ? `last review on record ${lastReview.toISOString().slice(0, 10)}` : 'no review on record',
  };
  return { facts, summary };
}

function summaryNote(risks: string[], naloxone: string | undefined, lastReview: Date | undefined, medicationListKnown: boolean): string {
  const parts = [
    `Risk factors: ${risks.length ? risks.join('; ') : 'none found'}.`,
    `Naloxone on hand: ${naloxone ? `yes (${naloxone})` : medicationListKnown ? 'no' : 'not known (medication list unavailable)'}.`,
    `PDMP: ${lastReview ? `last reviewed ${lastReview.toISOString().slice(0, 10)}` : 'no review on record'}.`,
  ];
  return parts.join(' ');
}

export function mmeOrderFacts(order: MedicationRequest, summary: MmeSummary, context: PatientContext, k: PainKnowledge): Partial<OrderFacts> {
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
    ...orderRegimen(order, id),
    ...erLaFacts(order, id, ingredient, context, k),
  };
}

/** Dose per administration (mg of the labelled ingredient) and interval of the order's first dosage, for the what-if link; null when either is not plain. */
function orderRegimen(order: MedicationRequest, id: ReturnType<typeof identifyOpioid>): Pick<OrderFacts, 'order.doseMg' | 'order.intervalHours'> {
  const dosage = order.dosageInstruction?.length === 1 ? order.dosageInstruction[0] : undefined;
  const perDay = dosage ? administrationsPerDay(dosage) : undefined;
  const quantity = dosage ? doseOf(dosage) : undefined;
  const component = id.kind === 'opioid' && id.components.length === 1 ? id.components[0] : undefined;
  const amount = quantity && component ? amountPerAdministration(quantity, component, id.kind === 'opioid' && id.combination) : undefined;
  return {
    'order.doseMg': typeof amount === 'object' && amount.unit === 'mg' ? Math.round(amount.value * 1000) / 1000 : null,
    'order.intervalHours': perDay && perDay > 0 ? Math.round((24 / perDay) * 1000) / 1000 : null,
  };
}

/** The FDA definition as the tolerance table holds it: "at least 60 mg oral morphine a day, or an equivalent, for a week or more". */
function toleranceDefinition(t: PainKnowledge['mme']['tolerance']['data']): string {
  const morphine = t.definition.find((d) => d.ingredient === 'morphine');
  const amount = morphine ? `${morphine.amount} ${morphine.unit} ${morphine.route} morphine a day, or an equivalent` : 'the daily opioid amounts of the FDA labels';
  return `at least ${amount}, for ${t.minimumDays === 7 ? 'a week' : `${t.minimumDays} days`} or more`;
}

/**
 * The ER/LA card's text for this order: a label restriction to opioid-tolerant patients
 * (FDA; cancer patients included) comes first, else the CDC 2022 advice against starting
 * with an ER/LA opioid.
 */
function erLaFacts(order: MedicationRequest, id: ReturnType<typeof identifyOpioid>, ingredient: string | null, context: PatientContext, k: PainKnowledge): Partial<OrderFacts> {
  const call = perCall.get(context);
  const restriction = toleranceRestriction(order, id, k.mme, k.mme.tolerance.data);
  const tolerant = call?.tolerance.tolerant ?? null;
  const drug = drugName(order, context.resolveMedication);
  const oud = call?.oudBuprenorphine ?? [];
  const oudNote = oud.length ? `\n\n${oudBuprenorphineNote(oud)}` : '';
  if (restriction && tolerant !== true) {
    return {
      'order.toleranceRequired': true,
      'order.erLaSummary': tolerant === false ? `Avoid ${restriction.label}: this patient is not opioid-tolerant` : `Confirm opioid tolerance before ordering ${restriction.label}`,
      'order.erLaNote': `Order ${restriction.label} only for opioid-tolerant patients: the FDA label restricts it to them because in anyone else it can cause fatal respiratory depression. This applies to patients with cancer too.\n\nOpioid-tolerant (FDA definition): ${toleranceDefinition(k.mme.tolerance.data)}. This patient: ${call?.tolerance.text ?? 'opioid tolerance could not be checked'}.${oudNote}\n\nThis order: ${drug}.`,
    };
  }
  const recent =
    call && !call.medicationListKnown
      ? 'Recent opioid use could not be checked (the medication list was unavailable).'
      : (call?.lastUse === null || call?.lastUse === undefined) && oud.length
        ? oudBuprenorphineNote(oud)
        : call?.lastUse === null || call?.lastUse === undefined
          ? 'This patient has no opioid use on record.'
          : `This patient's last opioid use on record was ${call.lastUse} days ago.${oud.length ? ` ${oudBuprenorphineNote(oud)}` : ''}`;
  return {
    'order.toleranceRequired': Boolean(restriction),
    'order.erLaSummary': oud.length
      ? `Prefer an immediate-release opioid to long-acting ${ingredient ?? 'opioid'}: patient on buprenorphine for opioid use disorder`
      : `Prefer an immediate-release opioid to long-acting ${ingredient ?? 'opioid'}: no recent opioid use on record`,
    'order.erLaNote': `Prefer an immediate-release opioid: CDC advises starting opioid treatment with immediate-release rather than extended-release or long-acting opioids, which carry a higher overdose risk when treatment begins.\n\n${recent}\n\nThis order: ${drug}, an extended-release or long-acting opioid.`,
  };
}
