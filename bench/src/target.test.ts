import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { Target } from './target.js';

const dirs = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('kurier-bench-kurier-')));

describe('a benchmark server that cannot start', () => {
  const flags = process.env.KURIER_BENCH_NODE_FLAGS;
  afterEach(() => {
    if (flags === undefined) delete process.env.KURIER_BENCH_NODE_FLAGS;
    else process.env.KURIER_BENCH_NODE_FLAGS = flags;
  });

  it('leaves no data directory behind', async () => {
    const before = dirs();
    // Node refuses an unknown flag, so the server process exits before it listens.
    process.env.KURIER_BENCH_NODE_FLAGS = '--no-such-node-flag';
    await expect(Target.start('kurier')).rejects.toThrow('kurier exited');
    expect([...dirs()].filter((d) => !before.has(d))).toEqual([]);
  });
});
