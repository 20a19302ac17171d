import cluster, { type Worker } from 'node:cluster';
import { ensureDevClient } from './cds/auth/dev-client.js';
import { openStore } from './compose.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * WORKERS > 1: the primary process (this file) forks that many service
 * processes (node:cluster), which share the listening port; it serves nothing
 * itself. Everything the workers must agree on lives in the store they share
 * (the SQLite file in DATA_DIR, or PostgreSQL): issued cards, feedback,
 * exceptions on file, the JWT replay cache and the rate-limit buckets, so N
 * workers behave as one process. Before forking, the primary migrates the
 * store and makes the development key once, so the workers never race on
 * either. A worker that dies is replaced; one that fails to start stops them all.
 */
export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  // One migration, one development key, before any worker opens the store.
  const store = await openStore(config, logger);
  await store.close();
  if (config.auth.mode !== 'off' && !config.auth.clientsFile && !config.production) await ensureDevClient(config.dataDir);

  let stopping = false;
  const ready = new Set<number>();
  const fork = (index: number): Worker => {
    const worker = cluster.fork({ PAIN_CDS_WORKER_INDEX: String(index) });
    worker.on('message', (m: unknown) => {
      if (m === 'ready') ready.add(worker.id);
    });
    worker.on('exit', (code, signal) => {
      const wasReady = ready.delete(worker.id);
      if (stopping) return;
      if (!wasReady) {
        // A start-up failure (bad rule file, database away past its wait...) would fail again: stop everything.
        logger.error({ worker: index, code, signal }, 'a worker failed to start; stopping');
        stopAll(1);
        return;
      }
      logger.warn({ worker: index, code, signal }, 'a worker died; starting another');
      setTimeout(() => fork(index), 500).unref();
    });
    return worker;
  };
  const stopAll = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(exitCode);
    let left = workers.length;
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) process.exit(exitCode);
      });
      w.process.kill('SIGTERM');
    }
    setTimeout(() => process.exit(exitCode), config.shutdownGraceMs + 2000).unref();
  };
  for (let i = 0; i < config.workers; i++) fork(i);
  logger.info({ workers: config.workers, store: config.database.kind }, 'started worker processes');
  process.on('SIGTERM', () => stopAll(0));
  process.on('SIGINT', () => stopAll(0));
}

/** In a worker: its index (0 prints the welcome banner), or undefined in a single process. */
export function workerIndex(): number | undefined {
  return cluster.isWorker ? Number(process.env.PAIN_CDS_WORKER_INDEX ?? '0') : undefined;
}

/** Tells the primary that this worker is serving. */
export function reportReady(): void {
  if (cluster.isWorker) process.send?.('ready');
}
