import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A throwaway PostgreSQL server for the tests and the bench: initdb on a
 * temporary directory, started by its own pg_ctl on a free loopback port with
 * its socket in that directory, stopped and removed by `stop()`. PostgreSQL
 * refuses to run as root, so as root the directory is given to the `postgres`
 * user and the binaries run as that user (runuser). Nothing else on the
 * machine is touched.
 */
export interface TempPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication on loopback only). */
  readonly url: string;
  readonly port: number;
  /** A URL for another database of this server. */
  urlFor(database: string): string;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stopServer(): void;
  /** Starts it again on the same port. */
  startServer(): void;
  /** Stops the server and removes its directory. */
  stop(): void;
}

/** The directory of initdb and pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin; undefined when not installed. */
export function findPostgresBin(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config is in libpq-dev, often absent: look at the Debian layout.
  }
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs.readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')));
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startTempPostgres(options: { durable?: boolean } = {}): Promise<TempPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found (install the Debian package postgresql, or set PG_BIN)');
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const run = (tool: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir })
      : execFileSync(path.join(bin, tool), args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freeLoopbackPort();
  // Tests need no durability of the server itself (fsync off is faster on a shared machine); the bench keeps it.
  const settings = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", '-c max_connections=200', ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=on', '-c full_page_writes=off'])];
  const startServer = () => void run('pg_ctl', ['-D', data, '-o', settings.join(' '), '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const stopServer = () => void run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  try {
    startServer();
  } catch (e) {
    const log = fs.existsSync(path.join(dir, 'server.log')) ? fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000) : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(e as Error).message}\n${log}`);
  }
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stopServer,
    startServer,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        stopServer();
      } catch {
        // Already stopped.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
