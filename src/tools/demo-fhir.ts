import { ConfigError } from '../config.js';
import { openFhirSettings, startOpenFhirServer } from '../sandbox/open-fhir.js';
import { DEMO_PATIENTS } from '../sandbox/seed.js';

/**
 * `npm run demo-fhir`: serves the demo EHR's synthetic patients from an open,
 * read-only FHIR server with CORS on 127.0.0.1 (DEMO_FHIR_PORT, default 8081),
 * for browser CDS clients such as the CDS Hooks Sandbox. Refused on a
 * non-loopback HOST and in production.
 */
async function main(): Promise<void> {
  const server = await startOpenFhirServer(openFhirSettings());
  const service = (process.env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8080'}`).replace(/\/+$/, '');
  const sandbox = new URL('https://sandbox.cds-hooks.org/');
  sandbox.searchParams.set('fhirServiceUrl', server.baseUrl);
  sandbox.searchParams.set('patientId', DEMO_PATIENTS[0]!.id);
  sandbox.searchParams.set('serviceDiscoveryURL', `${service}/cds-services`);
  console.log(
    [
      '',
      `Open DEMO FHIR server (synthetic patients only, read-only, no token, CORS for any origin): ${server.baseUrl}`,
      '  patients:',
      ...DEMO_PATIENTS.map((p) => `    ${p.id.padEnd(16)} ${p.label}`),
      '',
      `With the service running with CDS_CLIENTS=config/clients/cds-hooks-sandbox.json at ${service}, open:`,
      `  ${sandbox}`,
      '',
      'Stop with Ctrl+C.',
    ].join('\n'),
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  const message = e instanceof ConfigError ? e.message : e instanceof Error ? e.message : String(e);
  console.error(`Cannot start: ${message}`);
  process.exit(1);
});
