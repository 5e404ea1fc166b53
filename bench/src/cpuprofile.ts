// Reading V8 .cpuprofile files (node --cpu-prof, KURIER_BENCH_PROFILE) for the bench's tools:
// profile-top.ts (self time per function) and flamegraph.ts (a picture of the whole call tree).
import { readFileSync } from 'node:fs';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since the previous sample, per sample. */
  timeDeltas: number[];
}

export const readProfile = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

/** `name file:line`, the file shortened to its last two path segments. */
export function frameName(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
}

/**
 * Calls `visit` for every sample in which the thread was busy (not idle) between `from` and `to`
 * seconds after the profile's start, with the sample's node and its duration in microseconds.
 * A bench profile spans setup (scrypt, provisioning) as well as the measured load, so the window
 * picks the steady state. Returns the busy microseconds of every second of the whole profile.
 */
export function forEachBusySample(
  profile: CpuProfile,
  window: { from: number; to: number },
  visit: (node: ProfileNode, us: number) => void,
): number[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perSecond: number[] = [];
  let t = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    const second = Math.floor(t / 1e6);
    perSecond[second] = (perSecond[second] ?? 0) + dt;
    if (t >= window.from * 1e6 && t <= window.to * 1e6) visit(node, dt);
  });
  return perSecond;
}

/** `--name=value` from argv. */
export const flagOf = (args: readonly string[], name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
