import type { TestProject } from 'vitest/node';
import { findPostgresBin, startTempPostgres, type TempPostgres } from '../src/tools/temp-postgres.js';

/**
 * One throwaway PostgreSQL server for the whole run (src/tools/temp-postgres.ts):
 * the PostgreSQL suites each create their own database on it. Without
 * PostgreSQL installed those suites are skipped with a message locally, and
 * the run FAILS in CI (CI=true): .ci/run installs it, so a missing server
 * there is a broken machine, never a reason to test less.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the server's maintenance database, or '' when PostgreSQL is not available here. */
    pgUrl: string;
    pgPort: number;
  }
}

let server: TempPostgres | undefined;

export default async function setup(project: TestProject): Promise<() => void> {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (!findPostgresBin()) {
    if (ci) throw new Error('PostgreSQL is not installed: the PostgreSQL suite cannot run (CI=true). .ci/run installs the Debian package postgresql.');
    console.warn('\n[postgres] PostgreSQL server binaries not found: the PostgreSQL suites are SKIPPED (apt-get install postgresql to run them).\n');
    project.provide('pgUrl', '');
    project.provide('pgPort', 0);
    return () => undefined;
  }
  server = await startTempPostgres();
  project.provide('pgUrl', server.url);
  project.provide('pgPort', server.port);
  return () => server?.stop();
}
