import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/service.js';

/**
 * `npm run -s nof1 -- analyze FILE.json` as clinicians and researchers run it:
 * the built command, its JSON on stdout, its exit codes and its messages.
 */
const TOOL = path.join(REPO_ROOT, 'dist/src/tools/nof1.js');
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/nof1/trial.json');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [TOOL, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nof1-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const fixture = () => JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { periods: { treatment: string; start: string; end: string }[]; outcome: Record<string, unknown> };

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
}, 120_000);

describe('nof1 analyze', () => {
  test('npm run -s nof1 -- analyze prints the analysis as JSON', () => {
    const out = execFileSync('npm', ['run', '-s', 'nof1', '--', 'analyze', FIXTURE], { cwd: REPO_ROOT, encoding: 'utf8' });
    const result = JSON.parse(out) as Record<string, unknown>;
    for (const key of ['meanDifference', 'credibleInterval95', 'probabilityBBetter', 'probabilityClinicallyImportant', 'observationsUsed', 'observationsExcluded', 'model']) {
      expect(result).toHaveProperty(key);
    }
    expect(result.meanDifference).toBe(-1.294118);
    expect(result.credibleInterval95).toEqual([-2.037579, -0.550657]);
    expect(result.observationsUsed).toBe(34);
    expect(result.observationsExcluded).toHaveLength(8);
    expect((result.model as { prior: string }).prior).toMatch(/1\/σ²/);
  }, 120_000);

  test('the same file gives the same bytes every time', () => {
    const a = run(['analyze', FIXTURE]);
    const b = run(['analyze', FIXTURE]);
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    expect(b.stdout).toBe(a.stdout);
  });

  test('without outcome.mcid the default comes from rules/knowledge/nof1-defaults.json', () => {
    const trial = fixture();
    delete trial.outcome.mcid;
    const r = run(['analyze', tempFile('trial.json', JSON.stringify(trial))]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toMatchObject({ mcid: 1, mcidSource: expect.stringMatching(/^nof1-defaults@2026\.5/) });
  });

  test('an invalid trial exits 1 with the file, the JSON path and the problem, never a stack trace', () => {
    const trial = fixture();
    trial.periods[2]!.start = trial.periods[1]!.end;
    trial.periods[4]!.treatment = 'C';
    const file = tempFile('bad.json', JSON.stringify(trial));
    const r = run(['analyze', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`nof1: ${file} is not a valid trial:`);
    expect(r.stderr).toContain('periods[4].treatment: unknown arm "C"');
    const again = fixture();
    again.periods[2]!.start = again.periods[1]!.end;
    const overlap = run(['analyze', tempFile('overlap.json', JSON.stringify(again))]);
    expect(overlap.stderr).toContain('periods[2]: overlaps periods[1]');
    for (const out of [r.stderr, overlap.stderr]) expect(out).not.toMatch(/\n\s+at /);
  });

  test('a file that is not JSON, or is missing, exits 1 naming the file', () => {
    const broken = tempFile('broken.json', '{\n  "treatments": {\n    "A": "x",\n  }\n}');
    const r = run(['analyze', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^nof1: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: .* at line 4, column 3`));
    const missing = run(['analyze', '/nonexistent/trial.json']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('nof1: cannot read /nonexistent/trial.json: no such file\n');
  });

  test('usage errors exit 2; --help exits 0', () => {
    for (const args of [[], ['frobnicate'], ['analyze'], ['analyze', FIXTURE, 'extra']]) {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('usage: npm run -s nof1 -- analyze FILE.json');
    }
    const help = run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage:');
  });
});
