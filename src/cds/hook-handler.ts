import { buildPatientContext, type PatientContext } from '../clinical/patient-context.js';
import type { CdsService } from '../services/service.js';
import { StoreUnavailableError, type ExceptionOnFile, type IssuedCard, type Store } from '../store/store.js';
import { parseHookRequest } from './hook-request.js';
import type { FhirResource } from 'fhir/r4';
import { fhirShapeProblems } from './fhir-shape.js';
import { invalidRequest, preconditionFailed } from './outcome.js';
import { resolvePrefetch, type PrefetchOptions, type ResolvedPrefetch } from './prefetch.js';
import type { Card, CdsResponse, HookName, HookRequest } from './types.js';
import { PROVENANCE_EXTENSION } from './types.js';

/**
 * Turns a patient context into cards. Implemented by the rule layer
 * (src/rules/); the protocol layer knows nothing about opioids.
 */
export interface DecisionEngine {
  decide(input: { serviceId: string; hook: HookName; context: PatientContext; debug: boolean }): Promise<Decision>;
}

export interface Decision {
  readonly cards: Card[];
  /** Per-rule explanation, only produced when debug was asked for. */
  readonly trace?: unknown;
}

export interface HookDeps {
  readonly engine: DecisionEngine;
  readonly store: Store;
  readonly prefetch: PrefetchOptions;
  readonly cardTtlMs: number;
  readonly now: () => Date;
}

export interface HookOutcome {
  readonly response: CdsResponse & { debug?: unknown };
  readonly hookInstance: string;
  readonly prefetchFetched: readonly string[];
  readonly prefetchUnavailable: readonly string[];
  /** Prefetch keys dropped because they held another patient's records. */
  readonly prefetchOtherPatient: readonly string[];
}

/** validation -> prefetch -> patient context -> rules -> cards -> issued cards recorded. Transport-free. */
export async function handleHook(service: CdsService, body: unknown, deps: HookDeps, options: { debug: boolean; budget?: AbortSignal }): Promise<HookOutcome> {
  const request = parseHookRequest(body, service.definition.hook);
  const resolved = await resolvePrefetch(
    request,
    { templates: service.definition.prefetch, required: service.requiredPrefetch },
    { ...deps.prefetch, budget: options.budget },
  );
  const prefetch = checkResourceShapes(request.context.draftOrders ?? [], resolved, service.requiredPrefetch);
  const now = deps.now();
  // Exceptions on file quiet repeat alerts; if the store cannot be read, the
  // full alerts show (never the other way round).
  let storedExceptions: ExceptionOnFile[] = [];
  try {
    storedExceptions = deps.store.listExceptions({ patientId: request.context.patientId, validAt: now });
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
  }
  const context = patientContextFor(request, prefetch, now, storedExceptions);
  const decision = await deps.engine.decide({ serviceId: service.definition.id, hook: request.hook, context, debug: options.debug });
  // Queued for the store's next group commit: a full or locked store never takes the advice away.
  deps.store.recordIssuedCards(decision.cards.map((card) => issuedCard(card, service.definition.id, request.hookInstance, context, now, deps.cardTtlMs)));
  return {
    response: options.debug && decision.trace !== undefined ? { cards: decision.cards, debug: decision.trace } : { cards: decision.cards },
    hookInstance: request.hookInstance,
    prefetchFetched: prefetch.fetched,
    prefetchUnavailable: prefetch.unavailable.map((u) => u.key),
    prefetchOtherPatient: prefetch.otherPatientKeys,
  };
}

/** The patient context of a validated request and its resolved prefetch. */
export function patientContextFor(request: HookRequest, prefetch: ResolvedPrefetch, now: Date, storedExceptions: readonly ExceptionOnFile[] = []): PatientContext {
  return buildPatientContext({
    now,
    patientId: request.context.patientId,
    userId: request.context.userId,
    draftOrders: request.context.draftOrders ?? [],
    selections: request.context.selections,
    prefetchResources: prefetch.resources.values(),
    unavailable: prefetch.unavailable,
    storedExceptions,
  });
}

/**
 * Wrongly typed elements in what the client sent are a 400 naming where they
 * are; in what this service fetched itself, the key is treated as unavailable
 * (a 412 if it was required), since the client cannot fix it.
 */
export function checkResourceShapes(drafts: readonly FhirResource[], prefetch: ResolvedPrefetch, required: readonly string[]): ResolvedPrefetch {
  const problems: { path: string; message: string }[] = [];
  drafts.forEach((r, i) => {
    for (const p of fhirShapeProblems(r)) problems.push({ path: `context.draftOrders.entry[${i}].resource`, message: p });
  });
  const resources = new Map(prefetch.resources);
  const unavailable = [...prefetch.unavailable];
  for (const [key, list] of prefetch.resources) {
    const bad = list.flatMap((r) => fhirShapeProblems(r).map((p) => `${r.resourceType}${r.id ? `/${r.id}` : ''} ${p}`));
    if (bad.length === 0) continue;
    if (!prefetch.fetched.includes(key)) {
      for (const b of bad.slice(0, 5)) problems.push({ path: `prefetch.${key}`, message: b });
      continue;
    }
    if (required.includes(key)) throw preconditionFailed(`Required data '${key}' could not be used: the FHIR server returned malformed resources`);
    resources.delete(key);
    unavailable.push({ key, reason: 'the FHIR server returned malformed resources' });
  }
  if (problems.length > 0) throw invalidRequest(problems);
  return { resources, unavailable, fetched: prefetch.fetched, otherPatientKeys: prefetch.otherPatientKeys };
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
    hookInstance,
    issuedAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
    suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
    values: provenance.values ?? {},
  };
}
