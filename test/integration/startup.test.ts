import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/service.js';

/**
 * Start-up as operators see it: the built service (`node dist/src/main.js`) run as a real
 * process, bound to 127.0.0.1, each with its own DATA_DIR, output polled, never a fixed sleep.
 */

const MAIN = path.join(REPO_ROOT, 'dist/src/main.js');
const TOKEN_TOOL = path.join(REPO_ROOT, 'dist/src/tools/dev-token.js');

const temps: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-startup-'));
  temps.push(d);
  return d;
};

interface Run {
  readonly proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterAll(async () => {
  // Stop only the processes started here, by their own PID.
  await Promise.all(
    running.map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('exit', () => resolve());
          process.kill(proc.pid!, 'SIGKILL');
        }),
    ),
  );
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs a built script with a clean environment: the variables given, a fresh DATA_DIR, the repository's rules and cards, a cwd without .env. */
function run(script: string, env: Record<string, string>, options: { cwd?: string; args?: string[] } = {}): Run {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: path.join(tempDir(), 'data'),
    RULES_DIR: path.join(REPO_ROOT, 'rules'),
    CARDS_DIR: path.join(REPO_ROOT, 'cards'),
    LOG_LEVEL: 'warn',
  };
  const proc = spawn(process.execPath, [script, ...(options.args ?? [])], { cwd: options.cwd ?? tempDir(), env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(proc);
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const notify = () => waiters.forEach((w) => w());
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => {
    notify();
    resolve(code);
  }));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out);
          if (match) resolve(match);
          else if (proc.exitCode !== null || proc.signalCode !== null) reject(new Error(`exited (${proc.exitCode ?? proc.signalCode}) before ${pattern}:\n${out}\n${err}`));
        };
        waiters.push(check);
        check();
      }),
  };
}

/** Starts the service and waits for its banner; returns the URL it printed. */
async function startService(env: Record<string, string> = {}, options: { cwd?: string } = {}): Promise<{ run: Run; base: string }> {
  const r = run(MAIN, env, options);
  const [, base] = await r.waitFor(/listening on (\S+)\n/);
  return { run: r, base: base! };
}

/** Stops one started process with SIGTERM and waits for it to exit. */
async function stop(r: Run): Promise<void> {
  if (r.proc.exitCode === null && r.proc.signalCode === null) process.kill(r.proc.pid!, 'SIGTERM');
  await r.exited;
}

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
}, 120_000);

describe('PORT=0 and the port actually bound', () => {
  const dataDir = path.join(tempDir(), 'data');
  let service: { run: Run; base: string };
  let port: number;
  beforeAll(async () => {
    service = await startService({ PORT: '0', DEMO: 'auto', DATA_DIR: dataDir });
    port = Number(new URL(service.base).port);
  });
  afterAll(() => stop(service.run));

  test('the banner names the bound port, not 0', async () => {
    expect(port).toBeGreaterThan(0);
    expect(service.base).toBe(`http://127.0.0.1:${port}`);
    expect(service.run.stdout()).toContain(`open http://127.0.0.1:${port}/ehr/`);
    expect(service.run.stdout()).toContain(`A new token for any endpoint: PORT=${port} npm run token -- /cds-services/opioid-order-select`);
    expect((await fetch(`${service.base}/healthz`)).status).toBe(200);
  });

  test("the banner's token (audience with the bound port) is accepted", async () => {
    const match = /curl -s -H "Authorization: Bearer ([^"]+)" (\S+)/.exec(service.run.stdout());
    expect(match?.[2]).toBe(`${service.base}/cds-services`);
    const res = await fetch(match![2]!, { headers: { authorization: `Bearer ${match![1]}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { services: unknown[] }).services.length).toBeGreaterThan(0);
  });

  test("the demo EHR's hook calls reach the service on the bound port", async () => {
    const draft = {
      resourceType: 'MedicationRequest',
      id: 'draft-startup',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/pgx-poor' },
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet' }] },
      dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 6, periodUnit: 'h' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }],
    };
    const res = await fetch(`${service.base}/ehr/api/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hook: 'order-select', patientId: 'pgx-poor', drafts: [draft] }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: { summary: string }[] };
    expect(body.cards.length).toBeGreaterThan(0);
  });

  test('npm run token: the curl it prints names a request file that exists, and that call succeeds', async () => {
    // Run from the repository, as `npm run token` does, with the service's DATA_DIR (its development key) and port.
    const tool = run(TOKEN_TOOL, { PORT: String(port), DATA_DIR: dataDir }, { cwd: REPO_ROOT, args: ['/cds-services/opioid-order-select'] });
    expect(await tool.exited).toBe(0);
    const token = tool.stdout().trim();
    const curl = /curl -s -H "Authorization: Bearer ([^"]+)".* -d @(\S+) (\S+)/.exec(tool.stderr());
    expect(curl?.[1]).toBe(token);
    expect(curl?.[3]).toBe(`${service.base}/cds-services/opioid-order-select`);
    const file = path.resolve(REPO_ROOT, curl![2]!);
    expect(fs.existsSync(file)).toBe(true);
    const res = await fetch(curl![3]!, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: fs.readFileSync(file) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cards: unknown[] }).cards.length).toBeGreaterThan(0);
  });

  test('npm run token for an endpoint without a shipped example says what to send', async () => {
    const tool = run(TOKEN_TOOL, { PORT: String(port), DATA_DIR: dataDir }, { cwd: REPO_ROOT, args: ['/cds-services/opioid-patient-view'] });
    expect(await tool.exited).toBe(0);
    expect(tool.stderr()).toContain(' -d @request.json ');
    expect(tool.stderr()).toContain('request.json: the CDS Hooks request to send');
  });

  test('npm run token with PORT=0 asks for the port the service printed', async () => {
    const tool = run(TOKEN_TOOL, { PORT: '0', DATA_DIR: dataDir }, { args: ['/cds-services'] });
    expect(await tool.exited).toBe(2);
    expect(tool.stdout()).toBe('');
    expect(tool.stderr()).toContain('Give the port it printed');
  });

  test('a second service on the same port stops with a non-zero exit, naming the port and how to pick another', async () => {
    const second = run(MAIN, { PORT: String(port) });
    expect(await second.exited).toBe(1);
    expect(second.stdout()).not.toContain('listening on');
    expect(second.stderr()).toContain(`Cannot start: port ${port} on 127.0.0.1 is already in use`);
    expect(second.stderr()).toContain('PORT=0 picks a free one');
    expect(second.stderr()).not.toMatch(/\n\s+at /);
    // The first one still answers.
    expect((await fetch(`${service.base}/healthz`)).status).toBe(200);
  });
});

describe('listening errors and refused configurations stop the process', () => {
  test.each([
    ['HOST=10.9.9.9 (not an address of this machine)', { HOST: '10.9.9.9' }, 'Cannot start: HOST=10.9.9.9 is not an address of this machine'],
    ['HOST=not-a-host', { HOST: 'not-a-host' }, 'Cannot start: HOST=not-a-host is not an IP address or a host name that resolves here'],
    ['NODE_ENV=production CDS_AUTH=off', { NODE_ENV: 'production', CDS_AUTH: 'off' }, 'CDS_AUTH: off is refused in production'],
    ['NODE_ENV=prod', { NODE_ENV: 'prod' }, "NODE_ENV: must be development, production or test (got 'prod')"],
  ])('%s', async (_name, env, message) => {
    const r = run(MAIN, env);
    expect(await r.exited).toBe(1);
    expect(r.stdout()).not.toContain('listening on');
    expect(r.stderr()).toContain(message);
    expect(r.stderr()).not.toMatch(/\n\s+at /);
  });

  test('a CDS_CLIENTS file with a misspelled key stops the process naming the client and the key', async () => {
    const file = path.join(tempDir(), 'clients.json');
    fs.writeFileSync(file, JSON.stringify({ clients: [{ iss: 'https://ehr.example', jwks_uri: 'https://ehr.example/jwks' }] }, null, 2));
    const r = run(MAIN, { CDS_CLIENTS: file });
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toContain("clients[0] (iss https://ehr.example): unknown key 'jwks_uri'; did you mean 'jwksUri'?");
  });
});

describe('.env', () => {
  test('read from the working directory when it exists; variables set in the environment win', async () => {
    const cwd = tempDir();
    // HOST from .env would make start-up fail; the environment's HOST=127.0.0.1 must win.
    fs.writeFileSync(path.join(cwd, '.env'), '# local settings\nPUBLIC_BASE_URL=https://from-dotenv.example\nHOST=10.9.9.9\nDEMO=off\n');
    const { run: r, base } = await startService({}, { cwd });
    expect(base).toBe('https://from-dotenv.example');
    expect(r.stdout()).not.toContain('DEMO EHR');
    await stop(r);
    expect(await r.exited).toBe(0);
  });

  test('a fresh clone without .env starts as before', async () => {
    const cwd = tempDir();
    const { run: r, base } = await startService({}, { cwd });
    expect(fs.existsSync(path.join(cwd, '.env'))).toBe(false);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await stop(r);
  });
});

describe('.ci/run installs the toolchain better-sqlite3 may need to compile, and PostgreSQL', () => {
  /** Runs .ci/run with a PATH of stubs: `present` tools exist, apt-get/sudo/npm only record their calls. */
  function ciRun(present: string[], uid: number, postgres = true): string {
    const bin = tempDir();
    // Where .ci/run looks for the PostgreSQL server binaries (Debian: /usr/lib/postgresql/N/bin).
    const pgLib = tempDir();
    if (postgres) {
      fs.mkdirSync(path.join(pgLib, '15', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(pgLib, '15', 'bin', 'initdb'), '#!/bin/sh\n', { mode: 0o755 });
    }
    const log = path.join(bin, 'calls.log');
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    for (const name of ['apt-get', 'npm']) stub(name, `echo "${name} $*" >> ${log}`);
    stub('sudo', `echo "sudo $1" >> ${log}; exec "$@"`);
    stub('id', `echo ${uid}`);
    for (const name of present) stub(name, 'exit 0');
    fs.symlinkSync(execFileSync('/bin/sh', ['-c', 'command -v dirname']).toString().trim(), path.join(bin, 'dirname'));
    execFileSync('/bin/bash', [path.join(REPO_ROOT, '.ci/run')], { env: { PATH: bin, PG_LIB_DIR: pgLib }, stdio: 'pipe' });
    return fs.readFileSync(log, 'utf8');
  }

  test('missing python3, make and g++ are installed with sudo when not root, then npm ci and npm test run', () => {
    const calls = ciRun(['chromium'], 1000);
    expect(calls).toContain('sudo apt-get');
    expect(calls).toMatch(/apt-get install -y -qq --no-install-recommends python3 make g\+\+\n/);
    expect(calls).toMatch(/npm ci --no-audit --no-fund\nnpm test\n$/);
  });

  test('as root, without sudo; nothing is installed when everything is there', () => {
    expect(ciRun(['chromium', 'python3'], 0)).toMatch(/^apt-get update -qq\napt-get install -y -qq --no-install-recommends make g\+\+\n/);
    expect(ciRun(['chromium', 'python3', 'make', 'g++'], 1000)).toBe('npm ci --no-audit --no-fund\nnpm test\n');
  });

  test('PostgreSQL is installed from Debian packages when its server binaries are missing (the PostgreSQL suite needs a real server)', () => {
    expect(ciRun(['chromium', 'python3', 'make', 'g++'], 0, false)).toBe('apt-get update -qq\napt-get install -y -qq --no-install-recommends postgresql\nnpm ci --no-audit --no-fund\nnpm test\n');
  });
});
