import fs from 'node:fs';
import path from 'node:path';
import type { FileProblem } from './problems.js';

/** A JSON file read from disk, or the problem that stopped it from being read. */
export interface JsonFile {
  /** Path relative to the folder it was found in, with forward slashes (for messages). */
  readonly file: string;
  readonly json: unknown;
}

/** Reads every `*.json` file under `dir` (sub-folders included, except those listed in `skip`). */
export function readJsonFiles(dir: string, label: string, skip: readonly string[] = []): { files: JsonFile[]; problems: FileProblem[] } {
  const files: JsonFile[] = [];
  const problems: FileProblem[] = [];
  if (!fs.existsSync(dir)) {
    problems.push({ file: label, path: '', message: `folder ${dir} does not exist` });
    return { files, problems };
  }
  for (const abs of walk(dir, skip.map((s) => path.join(dir, s)))) {
    const file = `${label}/${path.relative(dir, abs).split(path.sep).join('/')}`;
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      problems.push({ file, path: '', message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    try {
      files.push({ file, json: JSON.parse(text) });
    } catch (e) {
      problems.push({ file, path: '', message: `is not valid JSON: ${(e as Error).message}` });
    }
  }
  return { files, problems };
}

function walk(dir: string, skip: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.includes(abs) && !entry.name.startsWith('.')) out.push(...walk(abs, skip));
    } else if (entry.isFile() && entry.name.endsWith('.json') && !entry.name.startsWith('.')) {
      out.push(abs);
    }
  }
  return out;
}
