// Prints the functions with the most self time in a V8 .cpuprofile (node --cpu-prof output):
// `node --import tsx bench/src/profile-top.ts <file> [count] [--from=s --to=s] [--timeline]`.
// A bench profile spans setup (scrypt, provisioning) as well as the measured load; `--timeline`
// prints the busy share per second so that `--from`/`--to` can pick the steady state.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const [file, count = '25'] = args.filter((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: profile-top <file.cpuprofile> [count] [--from=s --to=s] [--timeline]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const from = Number(flag('from') ?? 0) * 1e6;
const to = Number(flag('to') ?? Number.POSITIVE_INFINITY) * 1e6;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const perSecond: number[] = [];
let busy = 0;
let t = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  const frame = byId.get(id)?.callFrame;
  if (!frame || frame.functionName === '(idle)') return;
  const second = Math.floor(t / 1e6);
  perSecond[second] = (perSecond[second] ?? 0) + dt;
  if (t < from || t > to) return;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  busy += dt;
});
if (args.includes('--timeline')) {
  for (const [s, us] of perSecond.entries()) process.stdout.write(`${s}s ${Math.round((us ?? 0) / 1e4)}%\n`);
}
process.stdout.write(`busy ${(busy / 1000).toFixed(0)} ms\n`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  process.stdout.write(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
}
