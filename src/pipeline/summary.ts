import type { MedicationRequest } from 'fhir/r4';
import { serviceUnavailable, unauthorized } from '../cds/outcome.js';
import type { HookRequest } from '../cds/types.js';
import type { PrefetchOptions } from '../cds/prefetch.js';
import { exceptionsOnFile as documentedExceptions } from '../clinical/facts/exception-facts.js';
import { computePainFacts } from '../clinical/facts/index.js';
import type { PainKnowledge } from '../clinical/knowledge.js';
import { goalsForApp } from '../clinical/goals/app-view.js';
import { mmeHistory } from '../clinical/mme/history.js';
import { twinRecordFacts } from '../clinical/twin/record.js';
import { twinModelsForApp } from '../clinical/twin/what-if.js';
import type { RuleRuntime } from '../rules/runtime.js';
import { opioidPatientView } from '../services/opioid-patient-view.js';
import type { Store } from '../store/store.js';
import { exceptionsOnFile, patientContextFor, prefetchFor } from './hook.js';

/**
 * The SMART app's picture of one patient, through the same line as a hook
 * call (prefetch -> patient context -> facts) so the app shows the numbers the
 * cards show: the patient-view prefetch plus every MedicationRequest (any
 * status) for the dose history chart, read with the app's own token.
 */
const SUMMARY_SERVICE = {
  definition: { prefetch: { ...opioidPatientView.definition.prefetch, orderHistory: 'MedicationRequest?patient={{context.patientId}}' } },
  // The patient is required, but checked here rather than by the prefetch step: the app's user needs to hear that the EHR
  // refused the app's token (launch again), not the CDS Hooks advice to send prefetch.
  requiredPrefetch: [],
};

export async function patientSummary(request: HookRequest, deps: { rules: RuleRuntime<PainKnowledge>; store: Store; prefetch: PrefetchOptions; now: Date }) {
  const prefetch = await prefetchFor(SUMMARY_SERVICE, request, deps.prefetch);
  if (!prefetch.resources.has('patient')) {
    if (prefetch.unavailable.some((u) => u.key === 'patient' && u.refused)) throw unauthorized();
    throw serviceUnavailable("The patient's record could not be read from the EHR just now; try again.");
  }
  const now = deps.now;
  // A store outage degrades as in hook calls: exceptions on file could not be read, the rest is shown.
  const onFile = await exceptionsOnFile(deps.store, request.context.patientId, now);
  const context = patientContextFor(request, prefetch, now, onFile.exceptions, onFile.unavailable);
  const { knowledge } = deps.rules.serving();
  const facts = computePainFacts(context, knowledge).patient;
  const pick = (prefix: string) => Object.fromEntries(Object.entries(facts).filter(([k]) => k.startsWith(prefix)));
  const history = prefetch.resources.get('orderHistory');
  return {
    patient: context.patient ?? null,
    cyp2d6: pick('cyp2d6.'),
    mme: pick('mme.'),
    safeguards: { ...pick('safeguards.'), ...pick('naloxone.'), ...pick('cns.'), ...pick('pdmp.'), ...pick('risk.') },
    history: history ? mmeHistory(history.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest'), now, knowledge.mme, context.resolveMedication) : null,
    exceptions: documentedExceptions(context, knowledge.overrideReasons).map((e) => ({ ...e, createdAt: e.createdAt.toISOString(), expiresAt: e.expiresAt.toISOString() })),
    overrideReasons: knowledge.overrideReasons.reasons.map((r) => ({ system: knowledge.overrideReasons.system, code: r.code, display: r.display, validityDays: r.validityDays, topics: r.topics })),
    // The whole person: the dials, what is due, non-drug options, and the questionnaires the app renders (from the instrument table).
    pro: {
      ...pick('pro.'),
      questionnaires: knowledge.pro.questionnaires,
      tables: knowledge.pro.dataVersions,
    },
    // Personal goals (GAS): the cards' facts, every goal with its history, the T-score per rater over time, templates and codes.
    goals: { ...pick('goals.'), ...goalsForApp(context, knowledge.gas.table, knowledge.gas.version) },
    // The what-if twin: kidney and liver function as the record gives them (shown with each model's limits, never applied).
    twin: { ...twinRecordFacts(context, knowledge.twin.pk.data, knowledge.cyp2d6.inhibitors.data), ...twinModelsForApp(knowledge.twin.pk.data) },
    // N-of-1 trials: the running trial's facts and the codes the app writes (rules/knowledge/nof1-defaults.json).
    nof1: { ...pick('nof1.'), table: knowledge.nof1.table, version: knowledge.nof1.version },
    unavailable: [...prefetch.unavailable, ...onFile.unavailable].map((u) => u.key),
    // The dose levels the rules use (rules/parameters.json), for the chart.
    parameters: Object.fromEntries([...deps.rules.data.parameters].map(([name, p]) => [name, p.value])),
  };
}
