import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from './helpers/service.js';

/**
 * The layers of docs/ARCHITECTURE.md, checked on every `npm test`: which
 * folder of src/ may import which, no import cycle, no source file over 400
 * lines. A violation names the file and the import.
 */
const SRC = path.join(REPO_ROOT, 'src');

/** Folder (under src/) -> the folders it may import from (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  knowledge: [],
  clinical: ['knowledge'],
  cds: ['knowledge', 'store', 'config.ts', 'logger.ts'],
  rules: ['knowledge', 'cds/types.ts', 'cds/card-builder.ts', 'cds/card-spec.ts', 'logger.ts'],
  store: ['clinical'],
  services: ['cds/types.ts'],
  // The straight line of a hook call: everything below it; the configuration's type only (as cds).
  pipeline: ['knowledge', 'clinical', 'rules', 'cds', 'services', 'store', 'config.ts'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(abs);
    return e.name.endsWith('.ts') ? [abs] : [];
  });
}

/** Relative imports of a file, resolved to paths under src/ (`clinical/mme/index.ts`). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => path.relative(SRC, path.resolve(path.dirname(file), s)).replace(/\.js$/, '.ts').split(path.sep).join('/'));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [path.relative(SRC, f).split(path.sep).join('/'), importsOf(f)]));

describe('layers import downwards only', () => {
  test.each(Object.keys(ALLOWED))('src/%s/ imports only what it may', (layer) => {
    const allowed = ALLOWED[layer]!;
    const violations: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith(`${layer}/`)) continue;
      for (const target of imports) {
        if (target.startsWith(`${layer}/`)) continue;
        if (allowed.some((a) => (a.endsWith('.ts') ? target === a : target.startsWith(`${a}/`)))) continue;
        violations.push(`${file} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('there is no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  test('no source file is over 400 lines', () => {
    const long = files.map((f) => [path.relative(REPO_ROOT, f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
