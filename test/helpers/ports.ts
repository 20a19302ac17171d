/** A port free on 127.0.0.1 right now (the OS picks it), for a server a test starts itself. */
export { freeLoopbackPort as freePort } from '../../src/tools/temp-postgres.js';

/** Polls `check` until it is true or `ms` have passed; returns its last answer (no fixed sleeps in tests). */
export async function until(check: () => boolean | Promise<boolean>, ms = 3000, every = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return check();
}
