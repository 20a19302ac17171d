import type { ExceptionOnFile } from '../clinical/exceptions.js';

/**
 * Persistence behind a small interface, so a server database can replace the
 * embedded SQLite file. Feedback and the exceptions it justifies are committed
 * before `recordFeedback` returns; issued cards are queued and committed in
 * groups shortly after (`recordIssuedCards` returns at once; feedback commits
 * the cards it refers to with itself).
 */
export interface IssuedCard {
  readonly uuid: string;
  readonly serviceId: string;
  readonly ruleId: string;
  readonly ruleVersion: string;
  readonly patientId: string;
  readonly userId: string;
  /** The prescriber's name as the EHR gave it (prefetch), for exception texts; absent when unknown. */
  readonly userName?: string;
  /** What the card was about: the order (`MedicationRequest/draft-1`) or `patient`. */
  readonly subject?: string;
  readonly hookInstance: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly suggestionUuids: readonly string[];
  /** The computed values behind the card (its provenance), for audits and material-change checks. */
  readonly values: Record<string, unknown>;
}

export type FeedbackOutcome = 'accepted' | 'overridden';

export interface FeedbackRecord {
  readonly cardUuid: string;
  readonly serviceId: string;
  readonly outcome: FeedbackOutcome;
  readonly outcomeTimestamp: Date;
  readonly acceptedSuggestions: readonly string[];
  readonly overrideReason?: { readonly system?: string; readonly code: string; readonly display?: string };
  readonly userComment?: string;
  readonly receivedAt: Date;
}

export interface StoredFeedback extends FeedbackRecord {
  readonly id: number;
  readonly ruleId: string;
  readonly patientId: string;
  readonly userId: string;
}

export interface FeedbackQuery {
  readonly patientId?: string;
  readonly ruleId?: string;
  readonly userId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
}

export interface ExceptionQuery {
  readonly patientId?: string;
  readonly ruleId?: string;
  readonly userId?: string;
  readonly topic?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Only exceptions still valid at this time. */
  readonly validAt?: Date;
  readonly limit?: number;
}

export interface RuleActivity {
  readonly ruleId: string;
  readonly shown: number;
  readonly accepted: number;
  readonly overridden: number;
  readonly reasons: Record<string, number>;
}

/** A card shown earlier for a patient, with what the prescriber did with it (from feedback). */
export interface ShownCard {
  readonly ruleId: string;
  readonly subject: string | undefined;
  readonly values: Record<string, unknown>;
  /** 'overridden' wins over 'accepted' when both were reported. */
  readonly outcome: 'accepted' | 'overridden' | undefined;
  /** An override that gave a reason. */
  readonly overriddenWithReason: boolean;
}

/** Cards shown per hook call of a service, in a period (alert load). */
export interface CardsPerCall {
  readonly serviceId: string;
  readonly calls: number;
  readonly cards: number;
  readonly maxPerCall: number;
}

export interface Store {
  /** Queues the cards of one hook call for the next group commit; never throws for a full or locked store (the cards are kept and retried). */
  recordIssuedCards(cards: readonly IssuedCard[]): void;
  findIssuedCard(uuid: string): IssuedCard | undefined;
  /** Stores the records in one transaction; identical feedback already on file is not stored twice. */
  recordFeedback(records: readonly FeedbackRecord[], exceptions?: readonly ExceptionOnFile[]): { stored: number; duplicates: number };
  listExceptions(query: ExceptionQuery): ExceptionOnFile[];
  /** Cards shown, accepted and overridden per rule, with override reasons, in a period (alert-fatigue report). */
  ruleActivity(from: Date, to: Date): RuleActivity[];
  /** How many cards each call of each service showed, in a period (alert-fatigue report). */
  cardsPerCall(from: Date, to: Date): CardsPerCall[];
  /** The cards a service showed a patient since a time (committed or still queued), with their feedback. */
  cardsShown(query: { readonly patientId: string; readonly serviceId: string; readonly since: Date }): ShownCard[];
  listFeedback(query: FeedbackQuery): StoredFeedback[];
  /** Deletes issued cards past their expiry that no feedback refers to; returns how many. */
  pruneExpiredCards(now: Date): number;
  close(): void;
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
