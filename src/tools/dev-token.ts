import { ensureDevClient, mintClientToken } from '../cds/auth/dev-client.js';
import { loadConfig } from '../config.js';

/**
 * `npm run token -- [/cds-services/<id>[/feedback]]` prints a fresh token of the
 * local development client (ES384, 5 minutes, single use) for that endpoint,
 * and a curl command using it. Development mode only: production trusts the
 * clients listed in CDS_CLIENTS, never this key.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const endpoint = (process.argv[2] ?? '/cds-services').replace(/\/+$/, '');
  if (!endpoint.startsWith('/cds-services')) {
    console.error('Give an endpoint path such as /cds-services/opioid-order-select');
    process.exit(2);
  }
  const dev = await ensureDevClient(config.dataDir);
  const url = `${config.publicBaseUrl}${endpoint}`;
  const token = await mintClientToken({ privateKey: dev.privateKey, kid: dev.kid, iss: dev.iss, alg: 'ES384', audience: url });
  console.log(token);
  const method = endpoint === '/cds-services' ? '' : " -X POST -H 'Content-Type: application/json' -d @test/fixtures/requests/order-select-codeine.json";
  console.error(`\ncurl -s -H "Authorization: Bearer ${token}"${method} ${url}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
