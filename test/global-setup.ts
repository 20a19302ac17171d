import type { TestProject } from 'vitest/node';
import { findPostgresBin, startTempPostgres, type TempPostgres } from '../src/tools/temp-postgres.js';

/**
 * One throwaway PostgreSQL server for the whole run (src/tools/temp-postgres.ts):
 * the PostgreSQL suites each create their own database on it. Without
 * PostgreSQL installed the run stops with a message saying how to install
 * it, like the browser tests without chromium: a missing server is never a
 * reason to test less.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the server's maintenance database. */
    pgUrl: string;
    pgPort: number;
  }
}

let server: TempPostgres | undefined;

export default async function setup(project: TestProject): Promise<() => void> {
  if (!findPostgresBin()) {
    throw new Error('PostgreSQL is not installed: the PostgreSQL suites need its server binaries (Debian: apt-get install postgresql; or set PG_BIN). .ci/run installs it.');
  }
  server = await startTempPostgres();
  project.provide('pgUrl', server.url);
  project.provide('pgPort', server.port);
  return () => server?.stop();
}
