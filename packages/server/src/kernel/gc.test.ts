import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * A fresh process (V8's decisions are per process) that makes one object literal look long-lived
 * (a burst kept alive across scavenges), then makes the same literal short-lived and counts how
 * many of 1,000 such objects are born in the young generation. `%InYoungGeneration` is a V8
 * test hook, reached through `new Function` so that no transpiler has to parse it. A fixed-size
 * new space lets V8 decide at every scavenge instead of only once the space has grown.
 */
function youngOf(tuned: boolean): number {
  const script = `
    const { keepShortLivedObjectsYoung } = await import(${JSON.stringify(new URL('./gc.ts', import.meta.url).href)});
    if (${tuned}) keepShortLivedObjectsYoung();
    const inYoungGeneration = new Function('o', 'return %InYoungGeneration(o)');
    const envelope = (payload) => ({ payload, done: false, settle: { ok: 0 } });
    const burst = [];
    for (let i = 0; i < 400000; i++) burst.push(envelope(null));
    burst.length = 0;
    let young = 0;
    for (let i = 0; i < 200000; i++) {
      const e = envelope(new Array(16).fill(i));
      if (i % 200 === 0 && inYoungGeneration(e)) young++;
    }
    process.stdout.write(String(young));
  `;
  const flags = ['--allow-natives-syntax', '--min-semi-space-size=1', '--max-semi-space-size=1'];
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return Number(out);
}

describe('garbage collection', () => {
  it('O9: objects of a site that once looked long-lived are still born young, so they cannot keep others alive', () => {
    // Without the tuning V8 moves the site to the old generation (8–22 % of the objects here).
    expect(youngOf(false)).toBeLessThan(1000);
    expect(youngOf(true)).toBe(1000);
  });
});
