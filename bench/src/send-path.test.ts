import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const leftovers = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('kurier-bench-send-')));

it('bench:send-path measures every shape on the real send path and leaves nothing behind', () => {
  const before = leftovers();
  const dir = mkdtempSync(join(tmpdir(), 'kurier-send-path-test-'));
  try {
    const file = join(dir, 'results.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/src/send-path.ts', '--smoke', `--out=${file}`], {
      stdio: 'pipe',
      timeout: 120_000,
    });
    const results = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(results.map((r) => r.shape)).toEqual([
      '1:1, waves of 1',
      '1:1, waves of 10',
      '1:1, waves of 100',
      'groups of 100, waves of 10',
    ]);
    for (const r of results) {
      // The SQLite thread committed: it wrote WAL frames and spent CPU on it. (The other figures
      // can be a single 10 ms tick, or none, in so short a run.)
      expect(r.kurier.framesPerMessage).toBeGreaterThan(0);
      expect(r.kurier.threadUs).toBeGreaterThan(0);
      expect(r.kurier.totalUs).toBeGreaterThanOrEqual(r.kurier.threadUs + r.kurier.loopUs);
      expect(r.ratio).toBeCloseTo(r.kurier.totalUs / Math.max(1, r.baseline.totalUs), 5);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect([...leftovers()].filter((d) => !before.has(d))).toEqual([]);
});
