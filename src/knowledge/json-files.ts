import fs from 'node:fs';
import path from 'node:path';
import type { FileProblem } from './problems.js';

/** A JSON file read from disk, or the problem that stopped it from being read. */
export interface JsonFile {
  /** Path relative to the folder it was found in, with forward slashes (for messages). */
  readonly file: string;
  readonly json: unknown;
  /** The file as read (for the rule set's content hash). */
  readonly text: string;
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
      files.push({ file, json: JSON.parse(text), text });
    } catch (e) {
      problems.push({ file, path: '', message: `is not valid JSON: ${jsonSyntaxMessage(e as Error, text)}` });
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

/** A JSON.parse error with the line and column of its position, which people can find in an editor. */
export function jsonSyntaxMessage(error: Error, text: string): string {
  const message = error.message.replace(/\s*\(line \d+ column \d+\)$/, '');
  const position = /at position (\d+)/.exec(message);
  if (!position) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/\s*in JSON at position \d+/, '')} at line ${line}, column ${column}`;
}
