import { buildPatientContext, type PatientContext } from '../clinical/patient-context.js';
import type { CdsService } from '../services/service.js';
import { StoreUnavailableError, type ExceptionOnFile, type IssuedCard, type Store } from '../store/store.js';
import { parseHookRequest } from './hook-request.js';
import { resolvePrefetch, type PrefetchOptions } from './prefetch.js';
import type { Card, CdsResponse, HookName } from './types.js';
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
  readonly issuedRecorded: boolean;
}

/** validation -> prefetch -> patient context -> rules -> cards -> issued cards recorded. Transport-free. */
export async function handleHook(service: CdsService, body: unknown, deps: HookDeps, options: { debug: boolean; budget?: AbortSignal }): Promise<HookOutcome> {
  const request = parseHookRequest(body, service.definition.hook);
  const prefetch = await resolvePrefetch(
    request,
    { templates: service.definition.prefetch, required: service.requiredPrefetch },
    { ...deps.prefetch, budget: options.budget },
  );
  const now = deps.now();
  // Exceptions on file quiet repeat alerts; if the store cannot be read, the
  // full alerts show (never the other way round).
  let storedExceptions: ExceptionOnFile[] = [];
  try {
    storedExceptions = deps.store.listExceptions({ patientId: request.context.patientId, validAt: now });
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
  }
  const context = buildPatientContext({
    storedExceptions,
    now,
    patientId: request.context.patientId,
    userId: request.context.userId,
    draftOrders: request.context.draftOrders ?? [],
    selections: request.context.selections,
    prefetchResources: prefetch.resources.values(),
    unavailable: prefetch.unavailable,
  });
  const decision = await deps.engine.decide({ serviceId: service.definition.id, hook: request.hook, context, debug: options.debug });
  // A store that is full or locked must not take the advice away: the cards
  // still go out, and feedback on them will be refused until storage recovers.
  let issuedRecorded = true;
  try {
    deps.store.recordIssuedCards(decision.cards.map((card) => issuedCard(card, service.definition.id, request.hookInstance, context, now, deps.cardTtlMs)));
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    issuedRecorded = false;
  }
  return {
    response: options.debug && decision.trace !== undefined ? { cards: decision.cards, debug: decision.trace } : { cards: decision.cards },
    hookInstance: request.hookInstance,
    prefetchFetched: prefetch.fetched,
    prefetchUnavailable: prefetch.unavailable.map((u) => u.key),
    issuedRecorded,
  };
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
