import type { IssuedCard } from '../store.js';
import { StoreUnavailableError } from '../store.js';

/**
 * Issued cards are written on every hook call, so they are committed in
 * groups: a few milliseconds later, or as soon as a batch is full, in one
 * transaction (see SqliteStore.recordIssuedCards for the durability this
 * gives). While storage is unavailable the cards wait and are retried; at
 * most MAX_PENDING wait, the oldest are dropped past that (their feedback will
 * be refused as unknown). The queue never throws: it runs from timers.
 */
const DELAY_MS = 20;
const BATCH = 200;
const MAX_PENDING = 10_000;
const RETRY_MS = 1000;

export class IssuedCardQueue {
  private readonly pending = new Map<string, IssuedCard>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Commits the cards in one transaction (in the background: without waiting for a lock); throws on storage trouble. */
    private readonly commit: (cards: readonly IssuedCard[], options: { waitForLock: boolean }) => void,
    private readonly onError: (error: StoreUnavailableError, pending: number) => void,
    private readonly isOpen: () => boolean,
  ) {}

  add(cards: readonly IssuedCard[]): void {
    for (const c of cards) this.pending.set(c.uuid, c);
    if (this.pending.size >= BATCH) this.flush();
    else if (this.pending.size > 0 && !this.timer) this.timer = setTimeout(() => this.flush(), DELAY_MS).unref();
  }

  find(uuid: string): IssuedCard | undefined {
    return this.pending.get(uuid);
  }

  /** The waiting cards, for a transaction of its own (feedback commits them with itself); `forget` them once it has committed. */
  waiting(): readonly IssuedCard[] {
    return [...this.pending.values()];
  }

  private commitOneByOne(cards: readonly IssuedCard[]): void {
    for (const c of cards) {
      try {
        this.commit([c], { waitForLock: false });
      } catch (e) {
        if (e instanceof StoreUnavailableError) return;
      }
      this.pending.delete(c.uuid);
    }
  }

  forget(cards: readonly IssuedCard[]): void {
    for (const c of cards) this.pending.delete(c.uuid);
  }

  /** Commits the waiting cards; on storage trouble they stay queued and are retried a second later. */
  flush(options: { waitForLock?: boolean } = {}): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0 || !this.isOpen()) return;
    const cards = this.waiting();
    try {
      this.commit(cards, { waitForLock: options.waitForLock ?? false });
      this.forget(cards);
    } catch (e) {
      // Storage trouble keeps the cards for the next attempt; a card that cannot be written at all is dropped alone (the
      // others are written one by one), never the whole group with it.
      if (!(e instanceof StoreUnavailableError)) this.commitOneByOne(cards);
      for (const uuid of this.pending.keys()) {
        if (this.pending.size <= MAX_PENDING) break;
        this.pending.delete(uuid);
      }
      this.onError(e instanceof StoreUnavailableError ? e : new StoreUnavailableError(`Issued cards could not be written (${(e as Error).name})`), this.pending.size);
      if (this.pending.size > 0 && this.isOpen()) this.timer = setTimeout(() => this.flush(), RETRY_MS).unref();
    }
  }
}
