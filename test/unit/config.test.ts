import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ClientsFileError, loadTrustedClients, parseTrustedClients } from '../../src/cds/auth/clients-file.js';
import { ConfigError, loadConfig, loadEnvFile, withBoundPort } from '../../src/config.js';

const temps: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-config-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('NODE_ENV and CDS_AUTH', () => {
  test.each(['development', 'production', 'test'])('NODE_ENV=%s is accepted', (value) => {
    expect(loadConfig({ NODE_ENV: value, CDS_CLIENTS: 'clients.json' }).production).toBe(value === 'production');
  });

  test.each(['prod', 'Production', 'staging', ''])('NODE_ENV=%j is refused, naming the variable and the accepted values', (value) => {
    expect(() => loadConfig({ NODE_ENV: value })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: value })).toThrow(`NODE_ENV: must be development, production or test (got '${value}')`);
  });

  test('production refuses CDS_AUTH=off', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', CDS_AUTH: 'off', CDS_CLIENTS: 'clients.json' })).toThrow(/CDS_AUTH: off is refused in production/);
    expect(loadConfig({ NODE_ENV: 'development', CDS_AUTH: 'off' }).auth.mode).toBe('off');
    expect(loadConfig({ NODE_ENV: 'production', CDS_CLIENTS: 'clients.json' }).auth.mode).toBe('required');
  });
});

describe('PUBLIC_BASE_URL and the bound port', () => {
  test('PORT=0: the default PUBLIC_BASE_URL follows the port actually bound', () => {
    const requested = loadConfig({ PORT: '0' });
    expect(requested.publicBaseUrlDerived).toBe(true);
    const bound = withBoundPort(requested, 40123);
    expect(bound.port).toBe(40123);
    expect(bound.publicBaseUrl).toBe('http://127.0.0.1:40123');
  });

  test('an explicit PUBLIC_BASE_URL is kept whatever port is bound', () => {
    const bound = withBoundPort(loadConfig({ PORT: '0', PUBLIC_BASE_URL: 'https://cds.example.org/' }), 40123);
    expect(bound.publicBaseUrl).toBe('https://cds.example.org');
    expect(bound.port).toBe(40123);
  });

  test('an IPv6 HOST is written in brackets', () => {
    expect(withBoundPort(loadConfig({ PORT: '0', HOST: '::1' }), 40123).publicBaseUrl).toBe('http://[::1]:40123');
  });
});

describe('.env', () => {
  test('a missing .env is no error', () => {
    expect(loadEnvFile(path.join(tempDir(), '.env'))).toBeUndefined();
  });

  test('.env is read into the environment; a variable already set wins', () => {
    const file = path.join(tempDir(), '.env');
    fs.writeFileSync(file, '# a comment\nPAIN_CDS_TEST_FROM_FILE=file\nPAIN_CDS_TEST_SET=file\n');
    process.env.PAIN_CDS_TEST_SET = 'environment';
    try {
      expect(loadEnvFile(file)).toBe(file);
      expect(process.env.PAIN_CDS_TEST_FROM_FILE).toBe('file');
      expect(process.env.PAIN_CDS_TEST_SET).toBe('environment');
    } finally {
      delete process.env.PAIN_CDS_TEST_FROM_FILE;
      delete process.env.PAIN_CDS_TEST_SET;
    }
  });

  test('a .env that cannot be read is a configuration error naming it', () => {
    const dir = path.join(tempDir(), '.env');
    fs.mkdirSync(dir);
    expect(() => loadEnvFile(dir)).toThrow(ConfigError);
    expect(() => loadEnvFile(dir)).toThrow(dir);
  });

  test('.env.example documents that the environment wins and that production refuses CDS_AUTH=off', () => {
    const text = fs.readFileSync(path.resolve(import.meta.dirname, '../../.env.example'), 'utf8');
    expect(text).toMatch(/already set in the environment wins over the same one in \.env/);
    expect(text).toMatch(/refused with NODE_ENV=production/);
  });
});

describe('CDS_CLIENTS file', () => {
  const write = (content: string) => {
    const file = path.join(tempDir(), 'clients.json');
    fs.writeFileSync(file, content);
    return file;
  };
  const messageOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ClientsFileError);
      return (e as Error).message;
    }
    throw new Error('expected a ClientsFileError');
  };

  test('a JSON syntax error gives the line and column', () => {
    const file = write('{\n  "clients": [\n    { "iss": "https://ehr.example", }\n  ]\n}\n');
    const message = messageOf(() => loadTrustedClients(file));
    expect(message).toContain(`CDS_CLIENTS file ${file} is not valid JSON`);
    expect(message).toMatch(/at line 3, column 37$/);
    expect(message).not.toMatch(/position/);
  });

  test('a misspelled key names the client and the key it should be', () => {
    const message = messageOf(() =>
      parseTrustedClients({ clients: [{ iss: 'https://a.example', jwksUri: 'https://a.example/jwks' }, { iss: 'https://ehr.example', jwks_uri: 'https://ehr.example/jwks' }] }, 'clients.json'),
    );
    expect(message).toContain("clients[1] (iss https://ehr.example): unknown key 'jwks_uri'; did you mean 'jwksUri'?");
    expect(message).not.toContain('Invalid input');
    expect(message).not.toContain('clients[0]');
  });

  test.each([
    [{ clients: [{ iss: 'https://a', jwksUri: 'https://a/k', tenant: ['x'] }] }, "clients[0] (iss https://a): unknown key 'tenant'; did you mean 'tenants'?"],
    [{ clients: [{ iss: 'https://a', jwks: { kyes: [] } }] }, "clients[0] (iss https://a) at jwks: unknown key 'kyes'; did you mean 'keys'?"],
    [{ clients: [{ iss: 'https://a', jwksUri: 'https://a/k', colour: 'red' }] }, "clients[0] (iss https://a): unknown key 'colour' (known keys: iss, label, jwks, jwksUri, jkuAllowlist, tenants)"],
    [{ client: [] }, "(root): unknown key 'client'; did you mean 'clients'?"],
    [[{ jwksUri: 'https://a/k' }], 'clients[0] at iss: is required'],
    [{ clients: 'https://a' }, 'clients: must be a list of clients'],
    ['clients', '(root): must be {"clients": [...]} or a list of clients'],
  ])('%j is refused: %s', (json, expected) => {
    expect(messageOf(() => parseTrustedClients(json, 'clients.json'))).toContain(expected);
  });

  test('an empty client list is refused, in either form', () => {
    expect(messageOf(() => parseTrustedClients({ clients: [] }, 'clients.json'))).toContain('clients: the list is empty');
    expect(messageOf(() => parseTrustedClients([], 'clients.json'))).toContain('clients: the list is empty');
  });

  test('every problem of every client is listed, each with its client', () => {
    const message = messageOf(() =>
      parseTrustedClients({ clients: [{ iss: 'https://a', jwksUri: 'http://a/k' }, { iss: 'https://b', jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }] }, 'clients.json'),
    );
    expect(message.split('\n')).toEqual([
      'CDS_CLIENTS file clients.json is invalid:',
      '  clients[0] (iss https://a) at jwksUri: must be an https URL',
      '  clients[1] (iss https://b) at jwks.keys[0]: contains private or symmetric key material: list public keys only',
    ]);
    expect(message).not.toContain('secret');
  });

  test('a valid file in either form is accepted', () => {
    const entry = { iss: 'https://a', jwksUri: 'https://a/k', tenants: ['t'] };
    expect(parseTrustedClients({ clients: [entry] }, 'x')).toEqual([entry]);
    expect(parseTrustedClients([entry], 'x')).toEqual([entry]);
  });
});

describe('PostgreSQL and WORKERS settings', () => {
  const url = 'postgres://svc:pa55-w0rd@db.example.internal:5432/pain_cds';

  test('DATABASE_URL selects PostgreSQL with the pool, timeouts and TLS given; without it, SQLite', () => {
    expect(loadConfig({}).database).toEqual({ kind: 'sqlite' });
    expect(loadConfig({}).workers).toBe(1);
    const c = loadConfig({ DATABASE_URL: url, PG_POOL_MAX: '20', PG_STATEMENT_TIMEOUT_MS: '1500', PG_CONNECT_TIMEOUT_MS: '800', PG_STARTUP_WAIT_MS: '0', PG_SSL: 'require', WORKERS: '2' });
    expect(c.database).toEqual({ kind: 'postgres', url, poolMax: 20, statementTimeoutMs: 1500, connectTimeoutMs: 800, startupWaitMs: 0, ssl: 'require' });
    expect(c.workers).toBe(2);
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBeGreaterThanOrEqual(1);
  });

  test('bad values stop start-up naming the setting, and never echo the password', () => {
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    const message = bad({ DATABASE_URL: 'mysql://svc:pa55-w0rd@db/x' });
    expect(message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
    expect(message).not.toContain('pa55-w0rd');
    expect(bad({ DATABASE_URL: url, PG_POOL_MAX: '0' })).toContain('PG_POOL_MAX');
    expect(bad({ DATABASE_URL: url, PG_STATEMENT_TIMEOUT_MS: 'soon' })).toContain('PG_STATEMENT_TIMEOUT_MS');
    expect(bad({ DATABASE_URL: url, PG_SSL: 'yes' })).toContain('PG_SSL');
    expect(bad({ DATABASE_URL: url, PG_SSL: 'verify-full', PG_SSL_CA: '/no/such/ca.pem' })).toContain('PG_SSL_CA: no such file /no/such/ca.pem');
    expect(bad({ DATABASE_URL: url, PG_SSL_CA: import.meta.filename })).toContain('PG_SSL_CA: only used with PG_SSL=verify-full');
    expect(bad({ PG_SSL: 'require' })).toContain('PG_SSL: set only with DATABASE_URL');
    expect(bad({ WORKERS: '0' })).toContain('WORKERS');
    expect(bad({ WORKERS: '2', DEMO: 'on' })).toContain('DEMO: the demo EHR keeps its patients and logins in one process');
  });
});
