// `npm run bench [-- --quick]`: every scenario against Kurier and the plain-ws baseline (the 1:1
// scenarios also against that relay made durable: an fdatasync'd log before each ack), each in a
// fresh server process, one JSON line per scenario, all of them in bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  groupFanout,
  idleMemory,
  type Metrics,
  type Options,
  reconnectStorm,
  relayLatency,
  relayThroughput,
} from './scenarios.js';
import { Target, type TargetKind } from './target.js';

interface Scenario {
  name: string;
  run: (target: Target, opts: Options) => Promise<Metrics>;
  /** Kurier ÷ baseline for the headline metric. */
  ratio: (k: Metrics, b: Metrics) => number;
  target: string;
  met: (k: Metrics, ratio: number) => boolean;
  /**
   * Also measured against the relay that acks only after an fdatasync'd log write: the floor of
   * any durable server here, reported as `durableBaseline` and `ratioToDurable`.
   */
  durableFloor?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'relay-throughput',
    run: relayThroughput,
    ratio: (k, b) => (k.messagesPerSecond ?? 0) / (b.messagesPerSecond ?? 1),
    target: 'durable 1:1 messages/s >= 50% of plain ws',
    met: (_k, r) => r >= 0.5,
    durableFloor: true,
  },
  {
    name: 'relay-latency',
    run: relayLatency,
    ratio: (k, b) => (k.p99Ms ?? 0) / (b.p99Ms ?? 1),
    target: 'p99 <= 3 ms at 5,000 msg/s offered',
    met: (k) => (k.p99Ms ?? Number.POSITIVE_INFINITY) <= 3,
    durableFloor: true,
  },
  {
    name: 'group-fanout',
    run: groupFanout,
    ratio: (k, b) => (k.deliveriesPerSecond ?? 0) / (b.deliveriesPerSecond ?? 1),
    target: 'fan-out deliveries/s >= 50% of plain ws',
    met: (_k, r) => r >= 0.5,
  },
  {
    name: 'reconnect-storm',
    run: reconnectStorm,
    ratio: (k, b) => (k.allSyncedMs ?? 0) / (b.allSyncedMs ?? 1),
    target: '1,000 clients resync 20 messages each (baseline: reconnect only)',
    met: (k) => (k.messagesReceived ?? 0) === (k.clients ?? 0) * 20,
  },
  {
    name: 'idle-memory',
    run: idleMemory,
    ratio: (k, b) => (k.bytesPerConnection ?? 0) / (b.bytesPerConnection ?? 1),
    target: '<= 16 KiB RSS per idle connection',
    met: (k) => (k.bytesPerConnection ?? Number.POSITIVE_INFINITY) <= 16 * 1024,
  },
];

const round3 = (n: number) => Math.round(n * 1000) / 1000;

async function measure(kind: TargetKind, scenario: Scenario, opts: Options): Promise<Metrics> {
  const target = await Target.start(kind);
  try {
    return await scenario.run(target, opts);
  } finally {
    await target.stop();
  }
}

const opts: Options = { quick: process.argv.includes('--quick') };
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const lines: unknown[] = [];
for (const scenario of SCENARIOS) {
  if (only && !only.split(',').includes(scenario.name)) continue;
  const kurier = await measure('kurier', scenario, opts);
  const baseline = await measure('baseline', scenario, opts);
  const ratio = round3(scenario.ratio(kurier, baseline));
  const durableBaseline = scenario.durableFloor ? await measure('durable-baseline', scenario, opts) : null;
  const line = {
    scenario: scenario.name,
    kurier,
    baseline,
    ratio,
    ...(durableBaseline ? { durableBaseline, ratioToDurable: round3(scenario.ratio(kurier, durableBaseline)) } : {}),
    target: scenario.target,
    met: scenario.met(kurier, ratio),
  };
  lines.push(line);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
const dir = join(import.meta.dirname, '..', 'results');
mkdirSync(dir, { recursive: true });
const meta = { date: new Date().toISOString(), quick: opts.quick, cpus: cpus().length, node: process.version };
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ meta, results: lines }, null, 2)}\n`);
// Hanging sockets of a scenario must not keep the run alive.
process.exit(0);
