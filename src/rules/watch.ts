import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { formatProblems, type FileProblem } from '../knowledge/problems.js';

/**
 * Reload without restart. The rules/ (scenarios included) and cards/ folders
 * are polled: every file's size and modification time make a signature, and
 * a changed signature (an edit, a new file, a file replaced by rename as
 * `sed -i` and most editors save, a deletion) triggers one reload once it has
 * stayed the same for one interval. Polling works the same on every file system and in
 * containers, where inotify-based watching misses replaced files. A reload
 * that is rejected is logged with every problem; the old set keeps serving.
 */
export type ReloadResult = { ok: true; summary: { rules: number } } | { ok: false; problems: readonly FileProblem[] };

export function watchRuleFiles(folders: readonly string[], reload: () => Promise<ReloadResult>, logger: Logger, intervalMs = 500): () => void {
  let seen = signature(folders);
  let settling: string | undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    const now = signature(folders);
    if (now === seen) return;
    // Reload only once the files stayed the same for one interval (an editor saving several files).
    if (now !== settling) {
      settling = now;
      return;
    }
    seen = now;
    settling = undefined;
    running = true;
    const started = performance.now();
    reload()
      .then((result) => {
        const ms = Math.round(performance.now() - started);
        if (result.ok) logger.info({ rules: result.summary.rules, ms }, 'rule set reloaded');
        else logger.error({ problems: result.problems.length, detail: formatProblems(result.problems), ms }, 'rule set reload rejected; the previous set keeps serving');
      })
      .catch((e: unknown) => logger.error({ err: (e as Error).message }, 'rule set reload failed; the previous set keeps serving'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Path, size and modification time of every file under the folders, as one string. */
function signature(folders: readonly string[]): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      parts.push(`${dir}:missing`);
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile()) {
        try {
          const st = fs.statSync(abs);
          parts.push(`${abs}:${st.size}:${st.mtimeMs}:${st.ino}`);
        } catch {
          // Removed between the listing and the stat: the next tick sees it.
        }
      }
    }
  };
  for (const f of folders) walk(f);
  return parts.join('\n');
}
