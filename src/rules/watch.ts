import fs from 'node:fs';
import type { Logger } from '../logger.js';
import { formatProblems } from './problems.js';

/**
 * Reload without restart: the rules/ and cards/ folders are watched; after
 * changes settle (debounced), the whole set is reloaded. A valid set replaces
 * the serving one atomically; an invalid one is rejected, logged with every
 * problem, shown on /healthz, and the old set keeps serving.
 */
export function watchRuleFiles(
  folders: readonly string[],
  reload: () => { ok: true; summary: { rules: number } } | { ok: false; problems: readonly { file: string; path: string; message: string }[] },
  logger: Logger,
  debounceMs = 250,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const trigger = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const started = performance.now();
      const result = reload();
      const ms = Math.round(performance.now() - started);
      if (result.ok) logger.info({ rules: result.summary.rules, ms }, 'rule set reloaded');
      else logger.error({ problems: result.problems.length, detail: formatProblems(result.problems), ms }, 'rule set reload rejected; the previous set keeps serving');
    }, debounceMs);
  };
  const watchers = folders.filter((f) => fs.existsSync(f)).map((f) => fs.watch(f, { recursive: true }, trigger));
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
