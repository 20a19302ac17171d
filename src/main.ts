import type { Server } from 'node:http';
import type express from 'express';
import { mintClientToken } from './cds/auth/dev-client.js';
import { composeService } from './compose.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { RuleSetError } from './rules/problems.js';
import { watchRuleFiles } from './rules/watch.js';
import { StoreUnavailableError } from './store/store.js';

/** Reads config, builds the app, listens, and shuts down gracefully. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const service = await composeService(config, logger);
  const server = await listen(service.app, config);
  const stopWatching = watchRuleFiles([config.rulesDir, config.cardsDir], () => service.rules.reload(), logger);
  const pruneTimer = setInterval(() => {
    try {
      const pruned = service.store.pruneExpiredCards(new Date());
      if (pruned > 0) logger.info({ pruned }, 'expired issued cards pruned');
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'pruning issued cards failed');
    }
  }, 3_600_000).unref();

  const summary = service.rules.summary();
  logger.info({ url: config.publicBaseUrl, rules: summary.rules, startupMs: Math.round(performance.now() - startedAt) }, 'listening');
  const dev = service.devClient;
  const devToken = dev
    ? await mintClientToken({ privateKey: dev.privateKey, kid: dev.kid, iss: dev.iss, alg: 'ES384', audience: `${config.publicBaseUrl}/cds-services` })
    : undefined;
  printWelcome(config, summary.rules, devToken, service.demo ? `${config.publicBaseUrl}/ehr/` : undefined);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    stopWatching();
    clearInterval(pruneTimer);
    const force = setTimeout(() => {
      logger.warn('grace period over; closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownGraceMs).unref();
    // Keep-alive connections become idle once their request is answered: close them as they do.
    const reaper = setInterval(() => server.closeIdleConnections(), 100).unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(reaper);
      service.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function listen(app: express.Express, config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(config.port, config.host, () => resolve(server));
    server.once('error', reject);
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 30_000;
  });
}

function printWelcome(config: Config, rules: number, devToken: string | undefined, demoUrl: string | undefined): void {
  const base = config.publicBaseUrl;
  const lines = [
    '',
    `Pain-management CDS Hooks service listening on ${base}`,
    `  discovery: ${base}/cds-services   health: ${base}/healthz   rules loaded: ${rules}`,
  ];
  if (demoUrl) {
    lines.push(
      '',
      `DEMO EHR (synthetic patients, off in production): open ${demoUrl} in a browser,`,
      '  pick a patient and a drug, see the cards, accept, override, sign, and launch the SMART app.',
    );
  }
  if (devToken) {
    lines.push(
      '',
      'Local development mode (CDS_CLIENTS not set). Try discovery with a freshly signed token (valid 5 minutes, single use):',
      `  curl -s -H "Authorization: Bearer ${devToken}" ${base}/cds-services`,
      '  A new token for any endpoint: npm run token -- /cds-services/opioid-order-select',
    );
  }
  console.log(lines.join('\n'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof RuleSetError || e instanceof StoreUnavailableError) {
    console.error(`Cannot start: ${e.message}`);
  } else {
    console.error(`Cannot start: ${e instanceof Error ? e.message : String(e)}`);
  }
  process.exit(1);
});
