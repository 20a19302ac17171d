import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** Shared pieces of `npm run bench` and `npm run soak`: processes, ports, client keys and tokens. */
export const ROOT = path.resolve(import.meta.dirname, '../../..');
/** Both the service and the baseline are configured with this public URL, so one token fits both. */
export const PUBLIC_BASE_URL = 'http://bench.invalid';

export interface Signer {
  readonly alg: 'RS384' | 'ES384';
  readonly iss: string;
  readonly kid: string;
  readonly key: CryptoKey;
}

export async function signer(alg: 'RS384' | 'ES384'): Promise<{ signer: Signer; jwk: object }> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = `bench-${alg}`;
  return { signer: { alg, iss: `https://bench-ehr/${alg}`, kid, key: privateKey }, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

export async function mint(s: Signer, endpoint: string, n: number): Promise<string[]> {
  const iat = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await new SignJWT({}).setProtectedHeader({ alg: s.alg, kid: s.kid, typ: 'JWT' }).setIssuer(s.iss).setAudience(`${PUBLIC_BASE_URL}${endpoint}`).setIssuedAt(iat).setExpirationTime(iat + 280).setJti(randomUUID()).sign(s.key));
  }
  return out;
}

/**
 * One autocannon run, with the seconds from its start to the last response:
 * autocannon's own `duration` only ends at its next one-second tick, which
 * rounds short runs up to whole seconds.
 */
export async function timedLoad(options: autocannon.Options): Promise<{ result: autocannon.Result; seconds: number }> {
  const started = performance.now();
  let lastResponse = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, res) => (error ? reject(error) : resolve(res)));
    instance.on('response', () => void (lastResponse = performance.now()));
  });
  return { result, seconds: (lastResponse - started) / 1000 };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system, all threads) a process has used so far, in ms; null where /proc is not available. */
export function cpuTimeMs(pid: number | undefined): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks of 1/100 s on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Starts a new peak-RSS measurement for the process (Linux: clear_refs 5 resets VmHWM); false when not possible. */
export function resetPeakRss(pid: number | undefined): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function peakRssMb(pid: number | undefined): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return Math.round(kb / 1024);
  } catch {
    return null;
  }
}

export function startProcess(script: string, env: Record<string, string>, readyText: string, nodeArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let seen = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (!seen && d.toString().includes(readyText)) {
        seen = true;
        resolve(child);
      }
    });
    child.once('exit', (code) => !seen && reject(new Error(`${script} exited with ${code}`)));
  });
}

