import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test, describe } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { copySqliteToPostgres } from '../../src/tools/sqlite-to-postgres.js';
import { freshDatabase } from '../helpers/postgres.js';
import { issuedCard, NOW } from '../helpers/store-records.js';

/** Moving an SQLite deployment to PostgreSQL: exceptions, feedback and audit records arrive whole, and a second run copies nothing twice. */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const card = (uuid: string, patientId: string) => issuedCard(uuid, { patientId, hookInstance: `h-${uuid}`, values: { 'mme.total': 120 } });

describe('npm run db:sqlite-to-postgres', () => {
  test('copies issued cards, exceptions and feedback; the PostgreSQL store then answers as the SQLite one did; running again adds nothing', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'to-pg-'));
    dirs.push(dataDir);
    const sqlite = openSqliteStore({ dataDir });
    for (let i = 0; i < 700; i++) await sqlite.recordIssuedCards([card(`c${i}`, `p${i % 50}`)]);
    await sqlite.recordFeedback(
      [{ cardUuid: 'c1', serviceId: 'opioid-order-sign', outcome: 'overridden', outcomeTimestamp: NOW, acceptedSuggestions: [], overrideReason: { code: 'stable-long-term' }, userComment: 'nul \u0000 kept', receivedAt: NOW }],
      [{ id: 'ex-1', patientId: 'p1', topic: 'mme', ruleId: 'mme-90-reached', reasonCode: 'stable-long-term', reasonDisplay: 'Stable', userId: 'Practitioner/1', source: 'feedback', createdAt: NOW, expiresAt: new Date(NOW.getTime() + 86_400_000), justified: { 'mme.total': 120 }, cardUuid: 'c1' }],
    );
    await sqlite.recordFeedback([{ cardUuid: 'c2', serviceId: 'opioid-order-sign', outcome: 'accepted', outcomeTimestamp: NOW, acceptedSuggestions: [], receivedAt: NOW }]);
    const expected = { exceptions: await sqlite.listExceptions({}), activity: await sqlite.ruleActivity(new Date(0), new Date(NOW.getTime() + 1)) };
    await sqlite.close();

    const url = await freshDatabase('migrate_sqlite');
    const first = await copySqliteToPostgres({ sqliteFile: path.join(dataDir, 'pain-cds.sqlite'), databaseUrl: url });
    expect(first).toEqual({ issuedCards: { read: 700, copied: 700 }, exceptions: { read: 1, copied: 1 }, feedback: { read: 2, copied: 2 } });
    const again = await copySqliteToPostgres({ sqliteFile: path.join(dataDir, 'pain-cds.sqlite'), databaseUrl: url });
    expect(again).toEqual({ issuedCards: { read: 700, copied: 0 }, exceptions: { read: 1, copied: 0 }, feedback: { read: 2, copied: 0 } });

    const pgStore = await openPostgresStore({ url, poolMax: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000, ssl: 'off', startupWaitMs: 5000 });
    try {
      expect(await pgStore.listExceptions({})).toEqual(expected.exceptions);
      expect(await pgStore.listExceptions({ patientId: 'p1', validAt: NOW })).toHaveLength(1);
      expect(await pgStore.ruleActivity(new Date(0), new Date(NOW.getTime() + 1))).toEqual(expected.activity);
      const feedback = await pgStore.listFeedback({});
      expect(feedback.map((f) => [f.cardUuid, f.outcome])).toEqual([
        ['c1', 'overridden'],
        ['c2', 'accepted'],
      ]);
      expect(feedback[0]!.userComment).toBe('nul \uFFFD kept');
      expect(await pgStore.findIssuedCard('c699')).toEqual(card('c699', 'p49'));
    } finally {
      await pgStore.close();
    }
  });
});
