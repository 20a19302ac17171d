import fs from 'node:fs';
import path from 'node:path';

/** The project folder (the one holding package.json), whether running from src/ (tests) or dist/src/ (built). */
function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

export const PROJECT_ROOT = findRoot(import.meta.dirname);
