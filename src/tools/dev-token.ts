import fs from 'node:fs';
import path from 'node:path';
import { ensureDevClient, mintClientToken } from '../cds/auth/dev-client.js';
import { loadConfig, loadEnvFile } from '../config.js';
import { PROJECT_ROOT } from '../paths.js';

/**
 * `npm run token -- [/cds-services/<id>[/feedback]]` prints a fresh token of the
 * local development client (ES384, 5 minutes, single use) for that endpoint,
 * and a curl command using it. Development mode only: production trusts the
 * clients listed in CDS_CLIENTS, never this key.
 */

/** Example request bodies shipped with the project, by endpoint. */
const EXAMPLE_BODIES: Readonly<Record<string, string>> = {
  '/cds-services/opioid-order-select': 'test/fixtures/requests/order-select-codeine-poor-metabolizer.json',
};

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const endpoint = (process.argv[2] ?? '/cds-services').replace(/\/+$/, '');
  if (!endpoint.startsWith('/cds-services')) {
    console.error('Give an endpoint path such as /cds-services/opioid-order-select');
    process.exit(2);
  }
  if (config.port === 0 && config.publicBaseUrlDerived) {
    console.error('PORT=0: the service picks its port when it starts. Give the port it printed, e.g. PORT=40123 npm run token -- /cds-services');
    process.exit(2);
  }
  if (config.auth.clientsFile || config.production) {
    console.error('Note: the service trusts this development key only in local development mode (no CDS_CLIENTS, not production).');
  }
  const dev = await ensureDevClient(config.dataDir);
  const url = `${config.publicBaseUrl}${endpoint}`;
  const token = await mintClientToken({ privateKey: dev.privateKey, kid: dev.kid, iss: dev.iss, alg: 'ES384', audience: url });
  console.log(token);
  const body = requestBody(endpoint);
  const data = body ? ` -H 'Content-Type: application/json' -d @${body}` : '';
  console.error(`\ncurl -s -H "Authorization: Bearer ${token}"${data} ${url}`);
  if (body === 'request.json') console.error('(request.json: the CDS Hooks request to send; this project ships no example for this endpoint)');
}

/** The file curl sends (none for discovery): a shipped example when there is one for this endpoint. */
function requestBody(endpoint: string): string | undefined {
  if (endpoint === '/cds-services') return undefined;
  const example = EXAMPLE_BODIES[endpoint];
  const file = example ? path.join(PROJECT_ROOT, example) : undefined;
  return file && fs.existsSync(file) ? displayPath(file) : 'request.json';
}

/** Relative to the working directory when inside it, as people type it; otherwise absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
