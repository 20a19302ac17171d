import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mintClientToken } from './cds/auth/dev-client.js';
import { reportReady, runPrimary, workerIndex } from './cluster.js';
import { composeService, type ComposedService } from './compose.js';
import { loadConfig, loadEnvFile, withBoundPort, type Config } from './config.js';
import { createLogger } from './logger.js';
import { RuleSetError } from './rules/problems.js';
import { watchRuleFiles } from './rules/watch.js';

/** A listening failure (port in use, unknown host...), said in plain words. */
class ListenError extends Error {
  override readonly name = 'ListenError';
}

/**
 * Reads .env and the configuration, listens, builds the app for the address actually
 * bound, and shuts down gracefully. Until the app is attached the server answers 503.
 */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const envFile = loadEnvFile();
  const requested = loadConfig();
  const worker = workerIndex();
  const baseLogger = createLogger(requested.logLevel);
  // Each worker's lines say which worker wrote them.
  const logger = worker === undefined ? baseLogger : baseLogger.child({ worker });
  if (envFile && !worker) logger.info({ file: envFile }, 'settings read from .env (variables set in the environment win)');
  // WORKERS > 1: this process forks the workers and serves nothing itself (src/cluster.ts).
  if (requested.workers > 1 && cluster.isPrimary) return runPrimary(requested, logger);
  let handler: http.RequestListener = answerStarting;
  const server = http.createServer((req, res) => handler(req, res));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await listen(server, requested);
  server.on('error', (e) => logger.error({ err: e.message }, 'server error'));
  // PORT=0 picks a free port: the banner, the JWT audience and the demo EHR use the one bound.
  const config = withBoundPort(requested, (server.address() as AddressInfo).port);
  let service: ComposedService;
  try {
    service = await composeService(config, logger);
    // An edit made while the service was down is held to the same test as a live reload.
    const failing = await service.checkScenarios();
    if (failing.length > 0) {
      await service.close();
      throw new RuleSetError(failing);
    }
  } catch (e) {
    server.close();
    throw e;
  }
  handler = service.app;
  const stopWatching = watchRuleFiles([config.rulesDir, config.cardsDir], () => service.reloadRules(), logger);
  const pruneTimer = setInterval(async () => {
    try {
      const pruned = await service.store.pruneExpiredCards(new Date());
      if (pruned > 0) logger.info({ pruned }, 'expired issued cards pruned');
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'pruning issued cards failed');
    }
  }, 3_600_000).unref();

  const summary = service.rules.summary();
  logger.info({ url: config.publicBaseUrl, rules: summary.rules, store: service.store.kind, startupMs: Math.round(performance.now() - startedAt) }, 'listening');
  reportReady();
  const dev = service.devClient;
  const devToken = dev
    ? await mintClientToken({ privateKey: dev.privateKey, kid: dev.kid, iss: dev.iss, alg: 'ES384', audience: `${config.publicBaseUrl}/cds-services` })
    : undefined;
  // With PORT=0 the token tool needs the port bound to name the right audience.
  const tokenCommand = `${requested.port === 0 && config.publicBaseUrlDerived ? `PORT=${config.port} ` : ''}npm run token -- /cds-services/opioid-order-select`;
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
    server.close(async () => {
      clearTimeout(force);
      clearInterval(reaper);
      await service.close().catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'closing the store failed'));
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // The banner last: whoever reads it may send SIGTERM at once, and the handlers above must already be there.
  if (!worker) printWelcome(config, summary.rules, devToken, service.demo ? `${config.publicBaseUrl}/ehr/` : undefined, tokenCommand);
}

/** Listens on HOST:PORT; a failure rejects with a ListenError saying what to change. */
function listen(server: http.Server, config: Config): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(new ListenError(listenFailure(e, config)));
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function listenFailure(e: NodeJS.ErrnoException, config: Config): string {
  const { host, port } = config;
  const hostAdvice = 'use HOST=127.0.0.1 (this machine only) or HOST=0.0.0.0 (every interface)';
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (is the service already running?). Stop the other process, or choose another port with PORT, e.g. PORT=${port === 65535 ? 8081 : port + 1} npm start (PORT=0 picks a free one)`;
    case 'EADDRNOTAVAIL':
      return `HOST=${host} is not an address of this machine; ${hostAdvice}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return `HOST=${host} is not an IP address or a host name that resolves here; ${hostAdvice}`;
    case 'EACCES':
    case 'EPERM':
      return `listening on port ${port} is not permitted for this user; choose a port above 1023 with PORT, e.g. PORT=8080`;
    default:
      return `cannot listen on ${host} port ${port}: ${e.code ?? e.message}`;
  }
}

/** The answer while the app is being built (a few hundred milliseconds after listening). */
function answerStarting(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
  res.end(JSON.stringify({ error: 'the service is starting; retry in a second' }));
}

function printWelcome(config: Config, rules: number, devToken: string | undefined, demoUrl: string | undefined, tokenCommand: string): void {
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
      `  A new token for any endpoint: ${tokenCommand}`,
    );
  }
  console.log(lines.join('\n'));
}

main().catch((e: unknown) => {
  console.error(`Cannot start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
