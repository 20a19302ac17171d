import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { createClientTrust } from '../../../src/cds/auth/client-trust.js';
import { loadTrustedClients } from '../../../src/cds/auth/clients-file.js';
import { ensureDevClient, mintClientToken } from '../../../src/cds/auth/dev-client.js';
import { createTestClient } from '../../helpers/client.js';

const AUD = 'https://cds.example/cds-services';
const JKU = 'https://keys.ehr.example/jwks.json';

describe('keys fetched by URL', () => {
  test('a jku outside the allowlist is refused and never fetched', async () => {
    const c = await createTestClient('ES384');
    const fetched: string[] = [];
    const trust = createClientTrust({ clients: [{ iss: c.iss, jkuAllowlist: [JKU] }], fetchJwks: async (url) => (fetched.push(url), { keys: [c.publicJwk] }) });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: c.kid, jku: 'https://attacker.example/jwks.json' }).setIssuer(c.iss).setAudience(AUD).setIssuedAt().setExpirationTime('2m').setJti('j1').sign(c.privateKey);
    await expect(trust.verify(`Bearer ${token}`, AUD)).rejects.toThrow('jku not allowed');
    expect(fetched).toEqual([]);
  });

  test('an allowlisted jku is fetched and used', async () => {
    const c = await createTestClient('ES384');
    const fetched: string[] = [];
    const trust = createClientTrust({ clients: [{ iss: c.iss, jkuAllowlist: [JKU] }], fetchJwks: async (url) => (fetched.push(url), { keys: [c.publicJwk] }) });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: c.kid, jku: JKU }).setIssuer(c.iss).setAudience(AUD).setIssuedAt().setExpirationTime('2m').setJti('j2').sign(c.privateKey);
    await expect(trust.verify(`Bearer ${token}`, AUD)).resolves.toMatchObject({ iss: c.iss });
    expect(fetched).toEqual([JKU]);
  });

  test('key rotation: an unknown kid triggers one refetch, and refetches are rate-limited', async () => {
    const oldKey = await createTestClient('ES384', 'https://ehr.example');
    const newKey = await createTestClient('ES384', 'https://ehr.example');
    let served = [oldKey.publicJwk];
    let calls = 0;
    let now = 1_000_000;
    const trust = createClientTrust({
      clients: [{ iss: 'https://ehr.example', jwksUri: 'https://ehr.example/jwks' }],
      fetchJwks: async () => (calls++, { keys: served }),
      jwksRefetchMinIntervalMs: 60_000,
      now: () => now,
    });
    const tok = (c: typeof oldKey, jti: string) => new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: c.kid }).setIssuer(c.iss).setAudience(AUD).setIssuedAt(now / 1000).setExpirationTime(now / 1000 + 60).setJti(jti).sign(c.privateKey);
    await trust.verify(`Bearer ${await tok(oldKey, 'a')}`, AUD);
    expect(calls).toBe(1);
    served = [oldKey.publicJwk, newKey.publicJwk];
    now += 61_000;
    await trust.verify(`Bearer ${await tok(newKey, 'b')}`, AUD);
    expect(calls).toBe(2);
    // Another unknown kid within the interval: no new fetch, refused.
    const stranger = await createTestClient('ES384', 'https://ehr.example');
    await expect(trust.verify(`Bearer ${await tok(stranger, 'c')}`, AUD)).rejects.toThrow();
    expect(calls).toBe(2);
  });
});

describe('hostile tokens', () => {
  test('key confusion: HS256 signed with the RSA public key as secret is refused', async () => {
    const { publicKey } = await generateKeyPair('RS384', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kty: 'RSA', kid: 'rsa-1', alg: 'RS384' };
    const trust = createClientTrust({ clients: [{ iss: 'https://ehr', jwks: { keys: [jwk] } }], algorithms: ['RS384', 'HS256'] });
    const secret = new TextEncoder().encode(await exportSPKI(publicKey));
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).setIssuer('https://ehr').setAudience(AUD).setIssuedAt().setExpirationTime('2m').setJti('k').sign(secret);
    await expect(trust.verify(`Bearer ${token}`, AUD)).rejects.toThrow('algorithm not allowed');
  });

  test('a kid with path tricks is just an unknown key', async () => {
    const c = await createTestClient('ES384');
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] } }] });
    await expect(trust.verify(`Bearer ${await c.token(AUD, { kid: '../../etc/passwd' })}`, AUD)).rejects.toThrow();
  });

  test('an oversized token is refused before any parsing', async () => {
    const c = await createTestClient('ES384');
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] } }] });
    await expect(trust.verify(`Bearer ${await c.token(AUD, { extraClaims: { pad: 'x'.repeat(10_000) } })}`, AUD)).rejects.toThrow('too large');
  });

  test('a forged token does not burn the jti of a later genuine one', async () => {
    const c = await createTestClient('ES384');
    const forger = await createTestClient('ES384', c.iss);
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] } }] });
    await expect(trust.verify(`Bearer ${await forger.token(AUD, { jti: 'same', kid: c.kid })}`, AUD)).rejects.toThrow();
    await expect(trust.verify(`Bearer ${await c.token(AUD, { jti: 'same' })}`, AUD)).resolves.toMatchObject({ jti: 'same' });
  });

  test('a token replayed against another endpoint is refused (aud)', async () => {
    const c = await createTestClient('ES384');
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] } }] });
    const token = await c.token(`${AUD}/opioid-order-sign`);
    await expect(trust.verify(`Bearer ${token}`, `${AUD}/opioid-order-select`)).rejects.toThrow('audience');
  });

  test('tenant allowlist', async () => {
    const c = await createTestClient('ES384');
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] }, tenants: ['hospital-a'] }] });
    await expect(trust.verify(`Bearer ${await c.token(AUD, { extraClaims: { tenant: 'hospital-b' } })}`, AUD)).rejects.toThrow('tenant');
    await expect(trust.verify(`Bearer ${await c.token(AUD, { extraClaims: { tenant: 'hospital-a' } })}`, AUD)).resolves.toMatchObject({ tenant: 'hospital-a' });
  });
});

describe('CDS_CLIENTS file', () => {
  const write = (content: string) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'clients-')), 'clients.json');
    fs.writeFileSync(file, content);
    return file;
  };
  test.each([
    ['bad JSON', '{ "clients": [', 'not valid JSON'],
    ['no keys', '{"clients": [{"iss": "https://a"}]}', 'clients[0] (iss https://a): needs jwks, jwksUri or jkuAllowlist'],
    ['private key material', '{"clients": [{"iss": "https://a", "jwks": {"keys": [{"kty": "EC", "d": "secret"}]}}]}', 'private or symmetric'],
    ['duplicate issuer', '{"clients": [{"iss": "https://a", "jwksUri": "https://a/k"}, {"iss": "https://a", "jwksUri": "https://a/k"}]}', 'clients[1].iss'],
    ['plain http JWKS URL', '{"clients": [{"iss": "https://a", "jwksUri": "http://a/k"}]}', 'https'],
  ])('%s is refused with the file and the path', (_name, content, message) => {
    const file = write(content);
    expect(() => loadTrustedClients(file)).toThrow(message);
    expect(() => loadTrustedClients(file)).toThrow(file);
  });
});

test('the development client key is made once and reused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-'));
  const first = await ensureDevClient(dir);
  const second = await ensureDevClient(dir);
  expect(second.kid).toBe(first.kid);
  expect(fs.statSync(path.join(dir, 'dev-client-key.json')).mode & 0o777).toBe(0o600);
  const trust = createClientTrust({ clients: [second.client] });
  const token = await mintClientToken({ privateKey: first.privateKey, kid: first.kid, iss: first.iss, alg: 'ES384', audience: AUD });
  await expect(trust.verify(`Bearer ${token}`, AUD)).resolves.toMatchObject({ iss: first.iss });
});
