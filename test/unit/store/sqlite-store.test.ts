import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { until } from '../../helpers/ports.js';
import { exceptionOnFile, issuedCard, NOW } from '../../helpers/store-records.js';
import type { Store, StoreUnavailableError } from '../../../src/store/store.js';

/**
 * The SQLite store on a real file: issued cards are committed in groups a few
 * milliseconds after the hook call, feedback commits them with itself, and a
 * locked database delays them without losing them.
 */
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'))) {
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  const errors: { message: string; pending: number }[] = [];
  const store = openSqliteStore({ dataDir, onIssuedCardsError: (e: StoreUnavailableError, pending) => void errors.push({ message: e.message, pending }) });
  stores.push(store);
  return { store, dataDir, errors, file: path.join(dataDir, 'pain-cds.sqlite') };
}

const card = (uuid: string, patientId = 'p1') => issuedCard(uuid, { patientId, values: { 'mme.total': 120 } });
/** What another connection (a backup, an auditor) sees in the file. */
const committedCards = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT uuid FROM issued_card ORDER BY uuid').all() as { uuid: string }[]).map((r) => r.uuid);
  } finally {
    db.close();
  }
};

describe('issued cards', () => {
  test('are findable at once and committed together shortly after', async () => {
    const { store, file } = open();
    await store.recordIssuedCards([card('a'), card('b')]);
    await store.recordIssuedCards([card('c')]);
    expect((await store.findIssuedCard('b'))?.values).toEqual({ 'mme.total': 120 });
    expect(await until(() => committedCards(file).length === 3)).toBe(true);
    expect(committedCards(file)).toEqual(['a', 'b', 'c']);
    expect((await store.findIssuedCard('c'))?.ruleId).toBe('mme-90-reached');
  });

  test('feedback on a card still waiting commits the card and the feedback in one transaction', async () => {
    const { store, file } = open();
    await store.recordIssuedCards([card('waiting')]);
    const result = await store.recordFeedback([{ cardUuid: 'waiting', serviceId: 'opioid-order-sign', outcome: 'accepted', outcomeTimestamp: NOW, acceptedSuggestions: [], receivedAt: NOW }]);
    expect(result).toEqual({ stored: 1, duplicates: 0 });
    expect(committedCards(file)).toEqual(['waiting']);
    expect(await store.listFeedback({ patientId: 'p1' })).toHaveLength(1);
  });

  test('closing the store commits the cards still waiting', async () => {
    const first = open();
    await first.store.recordIssuedCards([card('at-shutdown')]);
    await first.store.close();
    const again = open(first.dataDir);
    expect((await again.store.findIssuedCard('at-shutdown'))?.uuid).toBe('at-shutdown');
  });

  test('a database locked by another connection delays them without stalling or losing them', async () => {
    const { store, file, errors } = open();
    const lock = new Database(file);
    lock.exec('BEGIN EXCLUSIVE');
    try {
      await store.recordIssuedCards([card('during-lock')]);
      expect(await until(() => errors.length > 0)).toBe(true);
      expect(errors[0]).toEqual({ message: expect.stringContaining('Storage is unavailable'), pending: 1 });
      expect((await store.findIssuedCard('during-lock'))?.uuid).toBe('during-lock');
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    // The retry commits them once the lock is gone.
    expect(await until(() => committedCards(file).includes('during-lock'))).toBe(true);
  });
});

describe('exceptions on file', () => {
  const exception = (patientId: string) => exceptionOnFile(patientId);

  test('are found for their patient, also after a restart, and not for others', async () => {
    const first = open();
    await first.store.recordIssuedCards([card('card-p2', 'p2')]);
    await first.store.recordFeedback([{ cardUuid: 'card-p2', serviceId: 'opioid-order-sign', outcome: 'overridden', outcomeTimestamp: NOW, acceptedSuggestions: [], overrideReason: { code: 'stable-long-term' }, receivedAt: NOW }], [exception('p2')]);
    expect((await first.store.listExceptions({ patientId: 'p2', validAt: NOW })).map((e) => e.id)).toEqual(['ex-p2']);
    expect(await first.store.listExceptions({ patientId: 'p3', validAt: NOW })).toEqual([]);
    await first.store.close();
    const again = open(first.dataDir);
    expect((await again.store.listExceptions({ patientId: 'p2', validAt: NOW })).map((e) => e.id)).toEqual(['ex-p2']);
    expect(await again.store.listExceptions({ validAt: NOW })).toHaveLength(1);
  });
});

describe('a card that cannot be written', () => {
  test('is dropped alone: the other cards of its group are committed', async () => {
    const { store, file, errors } = open();
    // A value JSON cannot hold: this one card fails to be written, whatever the database does.
    const broken = issuedCard('c2-broken', { values: { total: 1n } as unknown as Record<string, unknown> });
    await store.recordIssuedCards([card('c1'), broken, card('c3', 'p2')]);
    await until(() => committedCards(file).length === 2);
    expect(committedCards(file)).toEqual(['c1', 'c3']);
    expect(await store.findIssuedCard('c2-broken')).toBeUndefined();
    expect(errors.at(-1)).toMatchObject({ pending: 0 });
  });
});
