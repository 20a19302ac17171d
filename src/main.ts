import type { Server } from 'node:http';
import { createApp, type ClientVerifier } from './app.js';
import { createClientTrust } from './cds/auth/client-trust.js';
import { loadTrustedClients } from './cds/auth/clients-file.js';
import { ensureDevClient, mintClientToken } from './cds/auth/dev-client.js';
import { painDomain } from './clinical/domain.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { RuleSetError } from './rules/problems.js';
import { RuleRuntime } from './rules/runtime.js';
import { watchRuleFiles } from './rules/watch.js';
import { services } from './services/index.js';
import { openSqliteStore } from './store/sqlite-store.js';
import { StoreUnavailableError } from './store/store.js';

/** Reads config, builds the app, listens, and shuts down gracefully. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);

  const rules = RuleRuntime.load({ rulesDir: config.rulesDir, cardsDir: config.cardsDir }, painDomain(config), services.map((s) => s.definition.id));
  const store = openSqliteStore({ dataDir: config.dataDir });
  const { verifier, devToken } = await clientTrust(config, logger);

  const app = createApp({ config, engine: rules, store, verifier, logger, health: () => rules.health() });
  const server = await listen(app, config);
  const stopWatching = watchRuleFiles([config.rulesDir, config.cardsDir], () => rules.reload(), logger);
  const pruneTimer = setInterval(() => {
    try {
      const pruned = store.pruneExpiredCards(new Date());
      if (pruned > 0) logger.info({ pruned }, 'expired issued cards pruned');
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'pruning issued cards failed');
    }
  }, 3_600_000).unref();

  const summary = rules.summary();
  logger.info({ url: config.publicBaseUrl, rules: summary.rules, startupMs: Math.round(performance.now() - startedAt) }, 'listening');
  printWelcome(config, summary.rules, devToken);

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
    server.close(() => {
      clearTimeout(force);
      store.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function clientTrust(config: Config, logger: Logger): Promise<{ verifier: ClientVerifier | undefined; devToken?: string }> {
  const options = {
    algorithms: [...config.auth.algorithms],
    maxLifetimeSeconds: config.auth.maxLifetimeSeconds,
    clockSkewSeconds: config.auth.clockSkewSeconds,
  };
  if (config.auth.mode === 'off') {
    logger.warn('CDS_AUTH=off: every caller is trusted without a token. Local development only; never in production.');
    return { verifier: undefined };
  }
  if (config.auth.clientsFile) {
    return { verifier: createClientTrust({ clients: loadTrustedClients(config.auth.clientsFile), ...options }) };
  }
  // No CDS_CLIENTS: local development mode. Trust only a key made for this machine.
  const dev = await ensureDevClient(config.dataDir);
  logger.warn({ iss: dev.iss }, 'CDS_CLIENTS is not set: local development mode, trusting only the development client key in DATA_DIR');
  const devToken = await mintClientToken({ privateKey: dev.privateKey, kid: dev.kid, iss: dev.iss, alg: 'ES384', audience: `${config.publicBaseUrl}/cds-services` });
  return { verifier: createClientTrust({ clients: [dev.client], ...options, algorithms: ['ES384'] }), devToken };
}

function listen(app: ReturnType<typeof createApp>, config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(config.port, config.host, () => resolve(server));
    server.once('error', reject);
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 30_000;
  });
}

function printWelcome(config: Config, rules: number, devToken: string | undefined): void {
  const base = config.publicBaseUrl;
  const lines = [
    '',
    `Pain-management CDS Hooks service listening on ${base}`,
    `  discovery: ${base}/cds-services   health: ${base}/healthz   rules loaded: ${rules}`,
  ];
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
