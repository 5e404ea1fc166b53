// Prints the functions with the most self time in a V8 .cpuprofile (node --cpu-prof output):
// `node --import tsx bench/src/profile-top.ts <file> [count] [--from=s --to=s] [--timeline]`.
// `--timeline` prints the busy share per second so that `--from`/`--to` can pick the steady state.
import { flagOf, forEachBusySample, frameName, readProfile } from './cpuprofile.js';

const args = process.argv.slice(2);
const [file, count = '25'] = args.filter((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: profile-top <file.cpuprofile> [count] [--from=s --to=s] [--timeline]');
const window = { from: Number(flagOf(args, 'from') ?? 0), to: Number(flagOf(args, 'to') ?? Number.POSITIVE_INFINITY) };
const self = new Map<string, number>();
let busy = 0;
const perSecond = forEachBusySample(readProfile(file), window, (node, us) => {
  const key = frameName(node.callFrame);
  self.set(key, (self.get(key) ?? 0) + us);
  busy += us;
});
if (args.includes('--timeline')) {
  for (const [s, us] of perSecond.entries()) process.stdout.write(`${s}s ${Math.round((us ?? 0) / 1e4)}%\n`);
}
process.stdout.write(`busy ${(busy / 1000).toFixed(0)} ms\n`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  process.stdout.write(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
}
