import { describe, expect, it } from 'vitest';
import { activityBetween, activityOf, episodesOf, parsePerfScript, threadsOf } from './perf-native.js';

// `perf script -F pid,tid,time,ip,sym,dso` output in the shape perf writes it (a header line per
// sample, then one line per frame, innermost first, and a blank line).
const sample = ([pid, tid]: [number, number], t: number, frames: [string, string][]) =>
  [
    `${pid}/${tid} ${t.toFixed(6)}: `,
    ...frames.map(([sym, dso], i) => `\t    ${(0x1000 + i).toString(16)} ${sym} (${dso})`),
    '',
  ].join('\n');

const SQLITE = '/srv/node_modules/better-sqlite3/build/Release/better_sqlite3.node';
const commit: [string, string][] = [
  ['walWriteOneFrame.isra.0', SQLITE],
  ['sqlite3_step', SQLITE],
  ['Statement::JS_run', SQLITE],
];
const checkpoint: [string, string][] = [
  ['fsync', '/usr/lib/x86_64-linux-gnu/libc.so.6'],
  ['walCheckpoint', SQLITE],
  ['sqlite3_step', SQLITE],
];
const loop: [string, string][] = [
  ['tcp_sendmsg', '[kernel.kallsyms]'],
  ['uv__io_poll', '/usr/bin/node'],
];
const idle: [string, string][] = [['default_idle', '[kernel.kallsyms]']];

const text = [
  sample([100, 100], 10.0, loop),
  sample([100, 101], 10.001, commit),
  sample([100, 101], 10.002, commit),
  sample([100, 101], 10.0105, checkpoint),
  sample([100, 101], 10.012, checkpoint),
  sample([0, 0], 10.013, idle),
  sample([200, 200], 10.014, loop),
  sample([100, 100], 10.5, loop),
].join('');

describe('native profile (perf script)', () => {
  const samples = parsePerfScript(text);

  it('reads every sample with its thread, time and frames, innermost first', () => {
    expect(samples).toHaveLength(8);
    expect(samples[1]).toEqual({
      pid: 100,
      tid: 101,
      t: 10.001,
      frames: [
        { sym: 'walWriteOneFrame.isra.0', dso: 'better_sqlite3.node' },
        { sym: 'sqlite3_step', dso: 'better_sqlite3.node' },
        { sym: 'Statement::JS_run', dso: 'better_sqlite3.node' },
      ],
    });
  });

  it('names what a sample did by the outermost marker that matters (a checkpoint’s fsync is the checkpoint)', () => {
    expect(samples.map(activityOf)).toEqual([
      'socket write',
      'WAL write',
      'WAL write',
      'checkpoint',
      'checkpoint',
      'idle',
      'socket write',
      'socket write',
    ]);
  });

  it('tells the server’s threads from the load generator’s', () => {
    const roles = Object.fromEntries(threadsOf(samples).map((t) => [t.tid, t.role]));
    expect(roles).toEqual({ 100: 'event loop', 101: 'SQLite thread', 200: 'generator', 0: 'idle' });
  });

  it('merges slow messages whose waits overlap into one episode, and counts what each thread did then', () => {
    const episodes = episodesOf([
      { sentMs: 10_005, latencyMs: 8 },
      { sentMs: 10_006, latencyMs: 9.5 },
      { sentMs: 10_400, latencyMs: 3 },
    ]);
    expect(episodes).toEqual([
      { from: 10.005, to: 10.0155, messages: 2, maxMs: 9.5 },
      { from: 10.4, to: 10.403, messages: 1, maxMs: 3 },
    ]);
    const roles = new Map(threadsOf(samples).map((t) => [t.tid, t.role]));
    const first = episodes[0] as (typeof episodes)[0];
    const during = activityBetween(samples, roles, first);
    expect(Object.fromEntries([...during].map(([role, counts]) => [role, Object.fromEntries(counts)]))).toEqual({
      'SQLite thread': { checkpoint: 2 },
      idle: { idle: 1 },
      generator: { 'socket write': 1 },
    });
  });
});
