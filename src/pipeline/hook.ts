import type { FhirResource } from 'fhir/r4';
import { parseHookRequest } from '../cds/hook-request.js';
import { checkResourceShapes } from '../cds/fhir-shape.js';
import { resolvePrefetch, type PrefetchOptions, type ResolvedPrefetch } from '../cds/prefetch.js';
import type { Card, CdsResponse, HookRequest } from '../cds/types.js';
import { PROVENANCE_EXTENSION } from '../cds/types.js';
import type { ExceptionOnFile } from '../clinical/exceptions.js';
import { computePainFacts } from '../clinical/facts/index.js';
import type { PainKnowledge } from '../clinical/knowledge.js';
import { buildPatientContext, type PatientContext, type UnavailableData } from '../clinical/patient-context.js';
import type { Decision, RuleRuntime, RuleTrace } from '../rules/runtime.js';
import { services } from '../services/index.js';
import type { CdsService } from '../services/service.js';
import { shownBefore, withoutRepeats } from './repeats.js';
import { StoreUnavailableError, type IssuedCard, type Store } from '../store/store.js';

/**
 * THE straight line of one hook call, transport-free:
 *
 *   request -> prefetch -> patient context -> facts -> rules -> cards -> record
 *
 * The HTTP router (src/app.ts), the SMART app's summary call
 * (src/pipeline/summary.ts) and the scenario runner (src/pipeline/scenarios/)
 * all go through here, so none re-assembles the steps. A new capability plugs
 * in as a fact producer (src/clinical/facts/index.ts) read by new rules and
 * card templates (rules/, cards/).
 */
export interface HookDeps {
  readonly rules: RuleRuntime<PainKnowledge>;
  readonly store: Store;
  readonly prefetch: PrefetchOptions;
  readonly cardTtlMs: number;
  readonly now: () => Date;
}

export interface HookOutcome {
  readonly response: CdsResponse & { debug?: readonly RuleTrace[] };
  readonly hookInstance: string;
  readonly prefetchFetched: readonly string[];
  readonly prefetchUnavailable: readonly string[];
  /** Prefetch keys whose records of another patient were dropped. */
  readonly prefetchOtherPatient: readonly string[];
}

export async function runHook(service: CdsService, body: unknown, deps: HookDeps, options: { debug: boolean; budget?: AbortSignal }): Promise<HookOutcome> {
  // 1. The request, checked against the CDS Hooks schema of this hook.
  const request = parseHookRequest(body, service.definition.hook);
  // 2. Prefetch: given, or fetched from the FHIR server; only this patient's records; element types checked.
  const prefetch = await prefetchFor(service, request, deps.prefetch, options.budget);
  // 3. The patient context: one normalised snapshot, with the exceptions on file.
  const now = deps.now();
  const onFile = await exceptionsOnFile(deps.store, request.context.patientId, now);
  const context = patientContextFor(request, prefetch, now, onFile.exceptions, onFile.unavailable);
  // 4-5. Facts, then rules -> cards.
  const decision = await decideFor(deps.rules, service.definition.id, context, options.debug);
  // 6. At signature, what order-select already said about the same order is not repeated (see repeats.ts).
  const cards = service.definition.hook === 'order-sign' ? withoutRepeats(decision.cards, await shownAtSelection(deps, context.patientId, now)) : decision.cards;
  // 7. Record the cards issued, for feedback (SQLite queues them; PostgreSQL commits them first, for feedback to any instance; a store
  //    that cannot be used never takes the advice away: the cards are kept and retried).
  await deps.store.recordIssuedCards(cards.map((card) => issuedCard(card, service.definition.id, request.hookInstance, context, now, deps.cardTtlMs)));
  return {
    response: options.debug && decision.trace !== undefined ? { cards, debug: decision.trace } : { cards },
    hookInstance: request.hookInstance,
    prefetchFetched: prefetch.fetched,
    prefetchUnavailable: prefetch.unavailable.map((u) => u.key),
    prefetchOtherPatient: prefetch.otherPatientKeys,
  };
}

/** The cards order-select showed this patient within the repeat window (the parameter alerts.repeatWindowHours). */
async function shownAtSelection(deps: HookDeps, patientId: string, now: Date) {
  const hours = deps.rules.data.parameters.get('alerts.repeatWindowHours')?.value;
  const selection = services.find((s) => s.definition.hook === 'order-select');
  if (typeof hours !== 'number' || !selection) return [];
  return shownBefore(deps.store, { patientId, serviceId: selection.definition.id, since: new Date(now.getTime() - hours * 3_600_000) });
}

/** Steps 4 and 5 for a patient context: the facts, computed with the knowledge of the rule set that then decides on them (one set for the whole call). */
export async function decideFor(rules: RuleRuntime<PainKnowledge>, serviceId: string, context: PatientContext, debug = false): Promise<Decision> {
  const ruleSet = rules.serving();
  const facts = computePainFacts(context, ruleSet.knowledge);
  return ruleSet.decide({ serviceId, facts, patientId: context.patientId, debug });
}

/** Step 2 of a hook call: the prefetch templates of the service resolved, and the resources' element types checked. */
export async function prefetchFor(
  service: Pick<CdsService, 'definition' | 'requiredPrefetch'> | { definition: { prefetch: Readonly<Record<string, string>> }; requiredPrefetch: readonly string[] },
  request: HookRequest,
  options: PrefetchOptions,
  budget?: AbortSignal,
): Promise<ResolvedPrefetch> {
  const resolved = await resolvePrefetch(request, { templates: service.definition.prefetch, required: service.requiredPrefetch }, { ...options, budget });
  return checkResourceShapes((request.context.draftOrders ?? []) as readonly FhirResource[], resolved, service.requiredPrefetch);
}

/**
 * Exceptions on file quiet repeat alerts; if the store cannot be read (down, or slower than its bounded wait), the full alerts
 * show (never the other way round) and the exceptions on file are listed as data that could not be checked (a card says so).
 */
export async function exceptionsOnFile(store: Store, patientId: string, now: Date): Promise<{ exceptions: ExceptionOnFile[]; unavailable: UnavailableData[] }> {
  try {
    return { exceptions: await store.listExceptions({ patientId, validAt: now }), unavailable: [] };
  } catch (e) {
    if (e instanceof StoreUnavailableError) return { exceptions: [], unavailable: [{ key: EXCEPTIONS_ON_FILE, reason: 'store unavailable' }] };
    throw e;
  }
}

/** The data key of the exceptions on file, when the store could not be read (src/clinical/facts/data-facts.ts names it for people). */
const EXCEPTIONS_ON_FILE = 'exceptionsOnFile';

/** The patient context of a validated request and its resolved prefetch. */
export function patientContextFor(
  request: HookRequest,
  prefetch: ResolvedPrefetch,
  now: Date,
  storedExceptions: readonly ExceptionOnFile[] = [],
  storeUnavailable: readonly UnavailableData[] = [],
): PatientContext {
  return buildPatientContext({
    now,
    patientId: request.context.patientId,
    userId: request.context.userId,
    draftOrders: request.context.draftOrders ?? [],
    selections: request.context.selections,
    prefetchResources: prefetch.resources.values(),
    unavailable: [...prefetch.unavailable, ...storeUnavailable],
    storedExceptions,
  });
}

function issuedCard(card: Card, serviceId: string, hookInstance: string, context: PatientContext, now: Date, ttlMs: number): IssuedCard {
  const provenance = card.extension[PROVENANCE_EXTENSION];
  return {
    uuid: card.uuid,
    serviceId,
    ruleId: provenance.ruleId,
    ruleVersion: provenance.ruleVersion,
    patientId: context.patientId,
    userId: context.userId,
    ...(context.userName ? { userName: context.userName } : {}),
    ...(provenance.subject ? { subject: provenance.subject } : {}),
    hookInstance,
    issuedAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
    suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
    values: provenance.values ?? {},
  };
}
