import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/service.js';

/** The built command (`npm run -s twin -- simulate FILE.json` runs this file after building). */
const TOOL = path.join(REPO_ROOT, 'dist/src/tools/twin.js');
const SAMPLE = path.join(REPO_ROOT, 'test/fixtures/twin/codeine-paroxetine.json');
let dir: string;

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-command-'));
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const twin = (...args: string[]) => spawnSync(process.execPath, [TOOL, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
const write = (name: string, body: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  return file;
};

describe('twin simulate (built command)', () => {
  test('the sample file: JSON with parent, active, series, effective activity score, model versions and the label', () => {
    const r = twin('simulate', SAMPLE);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.label).toMatch(/not a dosing tool/);
    expect(out.parent).toMatchObject({ name: 'codeine', unit: 'ng/mL' });
    expect(out.active).toMatchObject({ name: 'morphine', unit: 'ng/mL' });
    expect(typeof out.active.auc24).toBe('number');
    expect(typeof out.active.cmax).toBe('number');
    expect(out.effectiveActivityScore).toBe(0);
    expect(out.modelVersions.length).toBeGreaterThan(1);
    expect(out.series.timeHours.length).toBeGreaterThan(100);
    expect(out.massBalance.relativeError).toBeLessThan(1e-9);
  });

  test('usage errors exit 2', () => {
    expect(twin().status).toBe(2);
    const r = twin('run', SAMPLE);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "run"/);
  });

  test.each([
    ['unknown drug', '{"drug": "aspirin", "doseMg": 500, "intervalHours": 6, "days": 1, "weightKg": 70}', /drug: unknown drug "aspirin"/],
    ['impossible dose', '{"drug": "tramadol", "doseMg": -50, "intervalHours": 6, "days": 1, "weightKg": 70}', /doseMg: must be more than 0 mg/],
    ['missing weight', '{"drug": "codeine", "doseMg": 30, "intervalHours": 6, "days": 1}', /weightKg: is required/],
    ['a weight written as text', '{"drug": "codeine", "doseMg": 30, "intervalHours": 6, "days": 1, "weightKg": "70"}', /weightKg: must be a number of kg/],
    ['a drug that is not a name', '{"drug": 5, "doseMg": 30, "intervalHours": 6, "days": 1, "weightKg": 70}', /drug: Invalid input: expected string, received number/],
    ['invalid JSON', '{"drug": ', /is not valid JSON/],
  ])('%s exits 1 with one message naming the file and the field, no stack trace', (_name, body, message) => {
    const file = write('request.json', body);
    const r = twin('simulate', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  test('a missing file exits 1 naming it', () => {
    const r = twin('simulate', path.join(dir, 'nope.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nope\.json: cannot be read \(ENOENT\)/);
  });
});
