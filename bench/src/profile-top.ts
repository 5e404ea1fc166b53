// Prints the functions with the most self time in a V8 .cpuprofile (node --cpu-prof output):
// `node --import tsx bench/src/profile-top.ts <file> [count]`.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const [file, count = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top <file.cpuprofile> [count]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)?.callFrame;
  if (!frame || frame.functionName === '(idle)') return;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  busy += dt;
});
process.stdout.write(`busy ${(busy / 1000).toFixed(0)} ms\n`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  process.stdout.write(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
}
