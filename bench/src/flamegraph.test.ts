import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callTree, renderSvg } from './flamegraph.js';

// A real `node --cpu-prof` run of a script whose two hot functions take a known share of the
// time each: the flame graph must show them where they were called, in that proportion.
const dir = mkdtempSync(join(tmpdir(), 'kurier-flame-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function profileOf(script: string): string {
  writeFileSync(join(dir, 'script.mjs'), script);
  execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'script.mjs'], { cwd: dir });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  return join(dir, file);
}

const spin = (name: string) =>
  `function ${name}(ms) { const end = performance.now() + ms; let x = 0; while (performance.now() < end) x++; return x; }`;

describe('flame graph of a .cpuprofile', () => {
  const file = profileOf(
    [
      spin('spinThree'),
      spin('spinOne'),
      'function outer() { for (let i = 0; i < 80; i++) { spinThree(15); spinOne(5); } }',
      'outer();',
    ].join('\n'),
  );

  it('merges the samples into call paths whose widths are their share of the busy time', () => {
    const root = callTree(file, { from: 0, to: Number.POSITIVE_INFINITY });
    const find = (frame: typeof root, prefix: string): typeof root | undefined =>
      [...frame.children.values()].find((c) => c.name.startsWith(prefix)) ??
      [...frame.children.values()].map((c) => find(c, prefix)).find(Boolean);
    const outer = find(root, 'outer ');
    const three = outer && find(outer, 'spinThree ');
    const one = outer && find(outer, 'spinOne ');
    expect(three?.kind).toBe('app');
    expect(one).toBeDefined();
    // 1.2 s against 0.4 s of spinning, sampled every ~1 ms: 3× within sampling noise. A busy
    // machine takes the core away in the middle of a spin, and the samples of that time are lost
    // (3.7 in a CI run with 40 rounds and bounds of ±20 %).
    const ratio = (three?.us ?? 0) / (one?.us ?? 1);
    expect(ratio).toBeGreaterThan(2.2);
    expect(ratio).toBeLessThan(4);
    expect((outer?.us ?? 0) / root.us).toBeGreaterThan(0.6);
    // A frame's time includes its callees': never less than theirs together.
    const check = (frame: typeof root): void => {
      const children = [...frame.children.values()];
      expect(children.reduce((sum, c) => sum + c.us, 0)).toBeLessThanOrEqual(frame.us);
      for (const c of children) check(c);
    };
    check(root);
  });

  it('draws a box per frame wide enough to see, with its share in the tooltip', () => {
    const root = callTree(file, { from: 0, to: Number.POSITIVE_INFINITY });
    const svg = renderSvg(root, 'test & <profile>');
    expect(svg).toContain('test &#38; &#60;profile&#62;');
    expect(svg).toMatch(/<title>spinThree \S*script\.mjs:\d+: \d+\.\d %/);
    expect(svg).toMatch(/<title>spinOne \S*script\.mjs:\d+: \d+\.\d %/);
    // An empty window draws only the root, without dividing by zero.
    const empty = renderSvg(callTree(file, { from: 1e6, to: 2e6 }), 'empty');
    expect(empty).not.toContain('NaN');
  });
});
