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
  /** Which implementation this is (for logs, /healthz and the bench). */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Records the cards of one hook call, for feedback. SQLite queues them for the next group commit and resolves at once;
   * PostgreSQL commits them before resolving (feedback may reach another instance within milliseconds). Never rejects for a
   * full, locked or unreachable store: the cards are kept and retried, and `onIssuedCardsError` is told.
   */
  recordIssuedCards(cards: readonly IssuedCard[]): Promise<void>;
  findIssuedCard(uuid: string): Promise<IssuedCard | undefined>;
  /** Stores the records in one transaction; identical feedback already on file is not stored twice. */
  recordFeedback(records: readonly FeedbackRecord[], exceptions?: readonly ExceptionOnFile[]): Promise<{ stored: number; duplicates: number }>;
  listExceptions(query: ExceptionQuery): Promise<ExceptionOnFile[]>;
  /** Cards shown, accepted and overridden per rule, with override reasons, in a period (alert-fatigue report). */
  ruleActivity(from: Date, to: Date): Promise<RuleActivity[]>;
  /** How many cards each call of each service showed, in a period (alert-fatigue report). */
  cardsPerCall(from: Date, to: Date): Promise<CardsPerCall[]>;
  /** The cards a service showed a patient since a time (committed or still queued), with their feedback. */
  cardsShown(query: { readonly patientId: string; readonly serviceId: string; readonly since: Date }): Promise<ShownCard[]>;
  listFeedback(query: FeedbackQuery): Promise<StoredFeedback[]>;
  /** Deletes issued cards past their expiry that no feedback refers to, and expired replay-cache entries; returns how many cards. */
  pruneExpiredCards(now: Date): Promise<number>;
  /** State shared by every process and instance using this store (JWT replay cache, rate limits); absent when one process owns the store. */
  readonly shared?: SharedState;
  close(): Promise<void>;
}

/**
 * What several processes (WORKERS) or instances behind a load balancer must
 * agree on besides the records: the JWT `jti` replay cache and the per-client
 * rate-limit buckets. Both reject with StoreUnavailableError when the store
 * cannot be used (the caller decides how to degrade).
 */
export interface SharedState {
  /** Remembers a token id until `expiresAtMs`; false when it is already remembered and not yet expired (a replay). */
  rememberJti(key: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
  /** Takes one token from a bucket refilled continuously at `perMs` up to `capacity`; false when the bucket is empty. */
  takeToken(key: string, capacity: number, perMs: number, nowMs: number): Promise<boolean>;
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
