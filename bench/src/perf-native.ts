// Reads a system-wide native profile (`perf record -k CLOCK_MONOTONIC -a -g`, then `perf script
// -F pid,tid,time,ip,sym,dso > perf.txt`), which sees what a .cpuprofile cannot: SQLite's C code,
// V8's serializer, syscalls and the kernel, per thread, for the generator and the server at once.
//
//   node --import tsx bench/src/perf-native.ts threads <perf.txt>
//   node --import tsx bench/src/perf-native.ts top <perf.txt> --tid=N [--under=symbol] [--count=30]
//   node --import tsx bench/src/perf-native.ts episodes <perf.txt> --slow=<slow.jsonl>
//
// `episodes` takes the slowest messages of a latency run (KURIER_BENCH_SLOW=<slow.jsonl>, same
// clock) and shows what each thread did while they waited (docs/benchmarks.md).
import { readFileSync } from 'node:fs';
import { flagOf } from './cpuprofile.js';

export interface Frame {
  sym: string;
  dso: string;
}

export interface Sample {
  pid: number;
  tid: number;
  /** Seconds, on the clock perf recorded with. */
  t: number;
  /** Innermost first. */
  frames: Frame[];
}

const HEADER = /^\s*(\d+)\/(\d+)\s+([\d.]+):\s*$/;
const FRAME = /^\s+[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$/;

/** The samples of `perf script -F pid,tid,time,ip,sym,dso` output. */
export function parsePerfScript(text: string): Sample[] {
  const samples: Sample[] = [];
  let current: Sample | null = null;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = { pid: Number(header[1]), tid: Number(header[2]), t: Number(header[3]), frames: [] };
      samples.push(current);
      continue;
    }
    const frame = current && FRAME.exec(line);
    if (frame && current)
      current.frames.push({ sym: frame[1] as string, dso: (frame[2] as string).split('/').pop() ?? '' });
  }
  return samples;
}

const has = (s: Sample, needle: string) => s.frames.some((f) => f.sym.includes(needle));

const bump = <K>(counts: Map<K, number>, key: K) => counts.set(key, (counts.get(key) ?? 0) + 1);

const MARKERS: readonly [needle: string, activity: string][] = [
  ['walCheckpoint', 'checkpoint'],
  ['fdatasync', 'fsync'],
  ['fsync', 'fsync'],
  ['walWriteOneFrame', 'WAL write'],
  ['sqlite3_step', 'SQL'],
  ['Scavenge', 'GC'],
  ['MarkCompact', 'GC'],
  ['ConcurrentMarking', 'GC'],
  ['PostMessage', 'postMessage'],
  ['Message::Deserialize', 'postMessage'],
  ['tcp_sendmsg', 'socket write'],
  ['uv__read', 'socket read'],
  ['JsonStringify', 'JSON'],
  ['epoll_wait', 'epoll'],
];

/**
 * What a sample was doing, by the first marker found in its stack (the order matters: an fsync
 * inside a checkpoint is the checkpoint's). Coarse on purpose: it names where time goes.
 */
export function activityOf(s: Sample): string {
  if (s.pid === 0) return 'idle';
  for (const [needle, name] of MARKERS) if (has(s, needle)) return name;
  return 'other';
}

/** What a thread is, from what it does most: the one that commits sends, checkpoints, indexes… */
export function roleOf(samples: readonly Sample[], pid: number, tid: number): string {
  if (pid === 0) return 'idle';
  const share = (test: (s: Sample) => boolean) => samples.filter(test).length / (samples.length || 1);
  const often = (needle: string) => share((s) => has(s, needle)) > 0.2;
  if (often('fts5')) return 'search indexer';
  // The SQLite thread checkpoints too (the WAL's rewind); the checkpointer does nothing else.
  if (tid !== pid && share((s) => has(s, 'sqlite3_step') && !has(s, 'walCheckpoint')) > 0.2) return 'SQLite thread';
  if (often('walCheckpoint')) return 'checkpointer';
  if (often('uv__fs_')) return 'libuv pool';
  if (often('ConcurrentMarking') || often('ScavengerCollector')) return 'GC helper';
  if (samples.every((s) => s.frames.every((f) => f.dso === '[kernel.kallsyms]'))) return 'kernel';
  if (tid === pid) return 'main';
  if (share((s) => has(s, 'Worker::Run')) > 0.5) return 'worker';
  return 'other';
}

interface ThreadInfo {
  pid: number;
  tid: number;
  samples: number;
  role: string;
}

/** The threads that were sampled, busiest first, with their roles. */
export function threadsOf(samples: readonly Sample[]): ThreadInfo[] {
  const byTid = new Map<number, Sample[]>();
  for (const s of samples) {
    const list = byTid.get(s.tid) ?? [];
    list.push(s);
    byTid.set(s.tid, list);
  }
  const threads = [...byTid.entries()]
    .map(([tid, list]) => {
      const pid = (list[0] as Sample).pid;
      return { pid, tid, samples: list.length, role: roleOf(list, pid, tid) };
    })
    .sort((a, b) => b.samples - a.samples);
  // A process with a SQLite thread is a Kurier server; the other Node main threads are the load.
  const servers = new Set(threads.filter((t) => t.role === 'SQLite thread').map((t) => t.pid));
  for (const t of threads) if (t.role === 'main') t.role = servers.has(t.pid) ? 'event loop' : 'generator';
  return threads;
}

/** A burst of slow messages: sends whose waits overlap (or come within `gapMs`), merged. */
export interface Episode {
  from: number;
  to: number;
  messages: number;
  maxMs: number;
}

/** Groups slow messages (`sentMs` on the profile's clock, `latencyMs`) into episodes. */
export function episodesOf(slow: readonly { sentMs: number; latencyMs: number }[], gapMs = 5): Episode[] {
  const sorted = [...slow].sort((a, b) => a.sentMs - b.sentMs);
  const episodes: Episode[] = [];
  for (const m of sorted) {
    const from = m.sentMs / 1000;
    const to = (m.sentMs + m.latencyMs) / 1000;
    const last = episodes.at(-1);
    if (last && from <= last.to + gapMs / 1000) {
      last.to = Math.max(last.to, to);
      last.messages++;
      last.maxMs = Math.max(last.maxMs, m.latencyMs);
    } else episodes.push({ from, to, messages: 1, maxMs: m.latencyMs });
  }
  return episodes;
}

/** Per thread role, how many samples of each activity fell into the window (seconds). */
export function activityBetween(
  samples: readonly Sample[],
  roles: ReadonlyMap<number, string>,
  { from, to }: { from: number; to: number },
): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const s of samples) {
    if (s.t < from || s.t > to) continue;
    const role = roles.get(s.tid) ?? 'other';
    const counts = out.get(role) ?? new Map<string, number>();
    bump(counts, activityOf(s));
    out.set(role, counts);
  }
  return out;
}

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1).padStart(5)} %`;

function top(
  samples: readonly Sample[],
  { tid, under, count }: { tid: number; under: string | undefined; count: number },
): void {
  const mine = samples.filter((s) => s.tid === tid);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const s of mine) {
    const leaf = s.frames[0];
    if (leaf) bump(self, `${leaf.sym} [${leaf.dso}]`);
    if (!under) {
      for (const sym of new Set(s.frames.map((f) => f.sym))) bump(inclusive, sym);
      continue;
    }
    // With --under: what the symbol called, one level down (its own time as "(self)").
    const at = s.frames.findIndex((f) => f.sym.includes(under));
    if (at >= 0) bump(inclusive, at > 0 ? (s.frames[at - 1] as Frame).sym : '(self)');
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(title);
    for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, count))
      console.log(`${pct(v, mine.length)}  ${k}`);
  };
  console.log(`thread ${tid}: ${mine.length} samples`);
  if (!under) print('\nself (innermost frame):', self);
  print(under ? `\nunder ${under}:` : '\ninclusive (anywhere on the stack):', inclusive);
}

function main(): void {
  const args = process.argv.slice(2);
  const [command, file] = args;
  if (!command || !file) {
    console.error('usage: perf-native.ts threads|top|episodes <perf-script.txt> [--tid=N] [--under=sym] [--slow=file]');
    process.exit(2);
  }
  const samples = parsePerfScript(readFileSync(file, 'utf8'));
  const threads = threadsOf(samples);
  if (command === 'threads') {
    for (const t of threads.slice(0, 30))
      console.log(
        `${String(t.pid).padStart(7)} ${String(t.tid).padStart(7)} ${String(t.samples).padStart(7)}  ${t.role}`,
      );
  } else if (command === 'top') {
    const tid = Number(flagOf(args, 'tid'));
    if (!Number.isInteger(tid)) throw new Error('--tid=<thread id> is needed (see `threads`)');
    top(samples, {
      tid,
      under: flagOf(args, 'under'),
      count: Number(flagOf(args, 'count') ?? 30),
    });
  } else if (command === 'episodes') {
    const slowFile = flagOf(args, 'slow');
    if (!slowFile) throw new Error('--slow=<file> is needed');
    const slow = readFileSync(slowFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { sentMs: number; latencyMs: number });
    const roles = new Map(threads.map((t) => [t.tid, t.role]));
    for (const e of episodesOf(slow)) {
      console.log(
        `\n${e.from.toFixed(3)} s: ${e.messages} messages over ${((e.to - e.from) * 1000).toFixed(1)} ms, slowest ${e.maxMs} ms`,
      );
      // From a little before the first send: what stalls a message often began before it.
      for (const [role, counts] of activityBetween(samples, roles, { from: e.from - 0.005, to: e.to })) {
        const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
        console.log(`  ${role.padEnd(15)} ${parts.join(', ')}`);
      }
    }
  } else {
    console.error(`unknown command ${command}`);
    process.exit(2);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
