// `npm run bench:peers [-- --quick] [-- --only=throughput,latency] [-- --systems=kurier,mosquitto-qos1] [-- --rate=10000] [-- --client=wire] [-- --receipts]`
// (`-- --smoke`: only check that every adapter delivers, in a few seconds):
// Kurier against Mosquitto (QoS 0 and 1), ejabberd and the plain-ws relay on this machine, in
// this run, with one load generator. Each system is started fresh for each repetition of each
// scenario and stopped afterwards, also when the run is interrupted; the systems take turns
// within each repetition. Prints a table and JSON lines, writes bench/results/peers-latest.json
// and docs/benchmarks/peers.png.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import { ejabberdSystem } from './ejabberd.js';
import { kurierSystem } from './kurier.js';
import { mosquittoSystem } from './mosquitto.js';
import { fanout, idle, latency, offline, type PeerMetrics, type PeerOptions, throughput } from './scenarios.js';
import { smoke } from './smoke.js';
import type { PeerSystem } from './system.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const arg = (name: string) =>
  process.argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(',');
const rate = Number(arg('rate')?.[0] ?? 5000);
if (!(rate > 0 && rate <= 50_000)) throw new Error("--rate is the latency scenario's offered load, 1–50,000 msg/s");
const opts: PeerOptions = { quick: process.argv.includes('--quick'), rate };
// The Kurier protocol's systems are driven by @kurier/sdk; `--client=wire` drives them with the
// bench's thin client instead, to tell the server's cost from the SDK's.
const driver = arg('client')?.[0] ?? 'sdk';
if (driver !== 'sdk' && driver !== 'wire') throw new Error('--client is sdk (the default) or wire');
// `--receipts`: Kurier's SDK sends delivered receipts as an app's does (the peers have none).
const receipts = process.argv.includes('--receipts');
const REPETITIONS = opts.quick ? 1 : 3;

interface Scenario {
  name: string;
  run: (system: PeerSystem, o: PeerOptions) => Promise<PeerMetrics>;
  /** The figure the table and the chart show. */
  headline: string;
  unit: string;
  /** Further figures the table shows in rows of their own: metric key → row label. */
  also?: Record<string, string>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'throughput',
    run: throughput,
    headline: 'messagesPerSecond',
    unit: '1:1 msg/s, 200 pairs',
    // Generator and servers share the cores, so a rate is bounded by the two costs together.
    also: {
      serverCpuUsPerMessage: '  server CPU µs per message',
      generatorCpuUsPerMessage: '  generator CPU µs per message',
    },
  },
  { name: 'latency', run: latency, headline: 'p99Ms', unit: 'p99 ms at 5,000 msg/s, lower is better' },
  { name: 'fanout', run: fanout, headline: 'deliveriesPerSecond', unit: 'deliveries/s, group of 100' },
  { name: 'idle', run: idle, headline: 'bytesPerConnection', unit: 'RSS bytes per connection, lower is better' },
  { name: 'offline', run: offline, headline: 'allReceivedMs', unit: 'ms for 1,000, lower is better' },
];

const RESULTS = join(ROOT, 'bench', 'results', 'peers-latest.json');
const CHART = join(ROOT, 'docs', 'benchmarks', 'peers.png');
if (process.argv.includes('--chart')) {
  // Redraws the chart from the last run's results without running anything.
  const last = JSON.parse(readFileSync(RESULTS, 'utf8')) as { results: typeof results };
  await renderChart(CHART, panels(last.results));
  process.exit(0);
}

const systems: PeerSystem[] = [
  kurierSystem('kurier', { driver, receipts }),
  mosquittoSystem(1),
  mosquittoSystem(0),
  ejabberdSystem(),
  kurierSystem('baseline', { driver }),
  kurierSystem('durable-baseline', { driver }),
].filter((s) => !arg('systems') || arg('systems')?.includes(s.name));
ensurePackages(systems.map((s) => s.name));

if (process.argv.includes('--smoke')) {
  // Each adapter delivers what it should, and nothing it started is left afterwards.
  const failures: string[] = [];
  for (const system of systems) {
    await system.start();
    try {
      failures.push(...(await smoke(system)));
    } finally {
      await system.stop();
    }
  }
  const left = execFileSync('sh', ['-c', 'pgrep -af "[k]urier-peers-|[k]urier-bench-" || true'], {
    encoding: 'utf8',
  }).trim();
  if (left) failures.push(`processes left behind:\n${left}`);
  process.stdout.write(failures.length === 0 ? 'all checks passed\n' : `${failures.join('\n')}\n`);
  process.exit(failures.length === 0 ? 0 : 1);
}

// Whatever happens, nothing we started outlives the run. The system under test has one stop,
// which the loop and a signal share (two at once raced: the second found the server gone and
// failed), and it waits for the start to settle, so a start cut short leaves nothing either.
let current: { system: PeerSystem; started: Promise<void>; stopped?: Promise<void> } | null = null;
let interrupted = false;
const stopCurrent = (): Promise<void> => {
  const c = current;
  if (!c) return Promise.resolve();
  c.stopped ??= c.started.catch(() => {}).then(() => c.system.stop());
  return c.stopped;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping ${current?.system.name ?? 'nothing'} …\n`);
    void stopCurrent().finally(() => process.exit(130));
  });
}

const results: {
  scenario: string;
  system: string;
  runs: PeerMetrics[];
  median: PeerMetrics;
  diagnostics?: Record<string, number>[];
}[] = [];
try {
  for (const scenario of SCENARIOS) {
    if (arg('only') && !arg('only')?.includes(scenario.name)) continue;
    const measured = systems.map((system) => ({
      system,
      runs: [] as PeerMetrics[],
      diagnostics: [] as Record<string, number>[],
    }));
    // Repetition by repetition, every system in turn: this machine's speed drifts by a third
    // within half an hour, and systems measured minutes apart would compare the drift.
    for (let r = 0; r < REPETITIONS; r++) {
      for (const { system, runs, diagnostics } of measured) {
        // Interrupted: nothing more starts, and the signal's handler ends the process.
        if (interrupted) await new Promise<never>(() => {});
        current = { system, started: system.start() };
        try {
          await current.started;
          runs.push(await scenario.run(system, opts));
          const found = system.diagnostics ? await system.diagnostics() : {};
          if (Object.keys(found).length > 0) diagnostics.push(found);
        } finally {
          await stopCurrent();
          current = null;
        }
      }
    }
    for (const { system, runs, diagnostics } of measured) {
      const line = {
        scenario: scenario.name,
        system: system.name,
        runs,
        median: median(runs),
        ...(diagnostics.length > 0 ? { diagnostics } : {}),
      };
      results.push(line);
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
} finally {
  await stopCurrent();
}

const table = renderTable();
process.stdout.write(`\n${table}\n`);
const meta = {
  date: new Date().toISOString(),
  quick: opts.quick,
  repetitions: REPETITIONS,
  latencyRate: rate,
  cpus: cpus().length,
  node: process.version,
  systems: Object.fromEntries(systems.map((s) => [s.name, s.description])),
};
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify({ meta, results }, null, 2)}\n`);
if (!opts.quick && !arg('only') && !arg('systems')) {
  mkdirSync(join(ROOT, 'docs', 'benchmarks'), { recursive: true });
  await renderChart(CHART, panels(results));
}
process.exit(0);

/** One chart panel per scenario: each system's median of the headline figure. */
function panels(rows: typeof results) {
  return SCENARIOS.map((s) => ({
    title: `${s.name} (${s.unit})`,
    bars: rows
      .filter((r) => r.scenario === s.name && r.median)
      .map((r) => ({ label: r.system, value: r.median?.[s.headline] ?? 0 })),
  }));
}

/** Per metric, the median over the repetitions. */
function median(runs: PeerMetrics[]): PeerMetrics {
  const done = runs.filter((r): r is Record<string, number> => r !== null);
  const first = done[0];
  if (!first) return null;
  const out: Record<string, number> = {};
  for (const key of Object.keys(first)) {
    const values = done.map((r) => r[key] ?? 0).sort((a, b) => a - b);
    out[key] = values[Math.floor(values.length / 2)] ?? 0;
  }
  return out;
}

function renderTable(): string {
  const names = systems.map((s) => s.name);
  const rows = SCENARIOS.filter((s) => results.some((r) => r.scenario === s.name)).flatMap((s) =>
    [[s.headline, `${s.name} (${s.unit})`], ...Object.entries(s.also ?? {})].map(([key, label]) => [
      label as string,
      ...names.map((n) => {
        const value = results.find((r) => r.scenario === s.name && r.system === n)?.median?.[key as string];
        return value === undefined ? '—' : String(value);
      }),
    ]),
  );
  const header = ['scenario', ...names];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Installs the Debian packages of the systems to run (Mosquitto, ejabberd) when missing (root only). */
function ensurePackages(systems: readonly string[]): void {
  const missing = [
    ['mosquitto', '/usr/sbin/mosquitto'],
    ['ejabberd', '/usr/sbin/ejabberdctl'],
  ].filter(([name, bin]) => systems.some((s) => s.startsWith(name as string)) && !existsSync(bin as string));
  if (missing.length === 0) return;
  const names = missing.map(([name]) => name as string);
  if (process.getuid?.() !== 0)
    throw new Error(`install ${names.join(' ')} first: sudo apt-get install -y ${names.join(' ')}`);
  process.stderr.write(`Installing ${names.join(', ')} from Debian …\n`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  // RUNLEVEL=1 keeps invoke-rc.d from starting the system-wide services: the bench starts its own.
  execFileSync('apt-get', ['install', '-y', '-qq', ...names], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' },
  });
}
