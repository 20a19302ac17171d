import fs from 'node:fs';
import express from 'express';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

/**
 * The benchmark's baseline: the floor of any secure CDS service on this stack.
 * A bare Express 5 server that parses the same JSON body, verifies the same
 * JWT with jose (same algorithms, issuer, audience and jti replay check) and
 * answers a fixed small card. Started by `npm run bench`; never in production.
 */
const port = Number(process.env.PORT ?? 0);
const base = process.env.PUBLIC_BASE_URL!;
const clients = JSON.parse(fs.readFileSync(process.env.CDS_CLIENTS!, 'utf8')) as { clients: { iss: string; jwks: JSONWebKeySet }[] };
const keys = new Map(clients.clients.map((c) => [c.iss, createLocalJWKSet(c.jwks)]));
const seen = new Set<string>();
const CARD = { cards: [{ uuid: '2b4b2f55-2a36-4a5e-9a6c-2b0d2b0c9a11', summary: 'Baseline card', indicator: 'info', source: { label: 'baseline' } }] };

const app = express();
app.use(express.json({ limit: '1mb' }));
app.post('/cds-services/:id', async (req, res) => {
  try {
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    const iss = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).iss as string;
    const jwks = keys.get(iss);
    if (!jwks) throw new Error('issuer');
    const { payload } = await jwtVerify(token, jwks, { algorithms: ['ES384', 'RS384'], issuer: iss, audience: `${base}${req.path}`, maxTokenAge: 300 });
    if (!payload.jti || seen.has(payload.jti)) throw new Error('replay');
    seen.add(payload.jti);
  } catch {
    res.status(401).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
    return;
  }
  if (typeof req.body?.hook !== 'string') {
    res.status(400).end();
    return;
  }
  res.json(CARD);
});
const server = app.listen(port, '127.0.0.1', () => console.log(`baseline listening on ${(server.address() as { port: number }).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
