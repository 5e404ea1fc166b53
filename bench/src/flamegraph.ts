// Draws a flame graph of a V8 .cpuprofile (node --cpu-prof, KURIER_BENCH_PROFILE) as SVG or PNG:
// `node --import tsx bench/src/flamegraph.ts <file.cpuprofile> <out.svg|out.png> [--from=s --to=s]
// [--title=…]`. Each box is a function in one call path; its width is the share of the thread's
// busy time (idle excluded) spent in it and what it called, callers below callees. The SVG has a
// tooltip per box; the PNG is for docs/benchmarks/.
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { type CallFrame, flagOf, forEachBusySample, frameName, type ProfileNode, readProfile } from './cpuprofile.js';

type Kind = 'app' | 'dependency' | 'node' | 'engine';

interface Frame {
  name: string;
  kind: Kind;
  us: number;
  children: Map<string, Frame>;
}

const WIDTH = 1400;
const ROW = 17;
const TOP = 64;
const CHAR = 6.4;
/** Frames narrower than this are left out with everything they called (they would be noise). */
const MIN_PX = 0.4;
const PALETTE: Record<Kind, { hue: number; sat: number; label: string }> = {
  app: { hue: 172, sat: 55, label: 'Kurier (the profiled app)' },
  dependency: { hue: 36, sat: 85, label: 'dependencies (node_modules)' },
  node: { hue: 215, sat: 30, label: 'Node.js' },
  engine: { hue: 0, sat: 65, label: 'V8, native, syscalls' },
};

function kindOf(frame: CallFrame): Kind {
  if (frame.url.includes('/node_modules/')) return 'dependency';
  if (frame.url.startsWith('node:')) return 'node';
  if (frame.url === '') return 'engine';
  return 'app';
}

const newFrame = (name: string, kind: Kind): Frame => ({ name, kind, us: 0, children: new Map() });

/** The profile's samples in the window as one call tree, calls from the same path merged by name. */
export function callTree(file: string, window: { from: number; to: number }): Frame {
  const profile = readProfile(file);
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const root = newFrame('all', 'engine');
  forEachBusySample(profile, window, (node, us) => {
    const path: ProfileNode[] = [];
    // The profile's own '(root)' node has no parent; it is the box called "all" here.
    for (let n: ProfileNode | undefined = node; n && parent.has(n.id); n = parent.get(n.id)) path.push(n);
    root.us += us;
    let at = root;
    for (let i = path.length - 1; i >= 0; i--) {
      const frame = (path[i] as ProfileNode).callFrame;
      const name = frameName(frame);
      let next = at.children.get(name);
      if (!next) {
        next = newFrame(name, kindOf(frame));
        at.children.set(name, next);
      }
      next.us += us;
      at = next;
    }
  });
  return root;
}

/** A stable colour per function within its kind's hue, so neighbours differ and reruns match. */
function colorOf(frame: Frame, root: Frame): string {
  if (frame === root) return '#cbd5e1';
  let h = 0;
  for (const c of frame.name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const { hue, sat } = PALETTE[frame.kind];
  return `hsl(${(hue + (h % 16) + 352) % 360}, ${sat}%, ${62 + (h % 14)}%)`;
}

const escapeXml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderSvg(root: Frame, title: string): string {
  const scale = WIDTH / Math.max(root.us, 1);
  const boxes: { frame: Frame; x: number; w: number; depth: number }[] = [];
  const place = (frame: Frame, x: number, depth: number) => {
    // The root spans the width even when the window holds no busy sample at all.
    const w = frame === root ? WIDTH : frame.us * scale;
    if (w < MIN_PX) return;
    boxes.push({ frame, x, w, depth });
    let cx = x;
    for (const child of [...frame.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      place(child, cx, depth + 1);
      cx += child.us * scale;
    }
  };
  place(root, 0, 0);
  const depth = Math.max(...boxes.map((b) => b.depth)) + 1;
  const height = TOP + depth * ROW + 8;
  const parts = boxes.map(({ frame, x, w, depth: d }) => {
    const y = height - 8 - (d + 1) * ROW;
    const share = ((100 * frame.us) / Math.max(root.us, 1)).toFixed(1);
    const fits = Math.floor((w - 6) / CHAR);
    const label =
      fits < 3 ? '' : frame.name.length <= fits ? frame.name : `${frame.name.slice(0, Math.max(fits - 1, 1))}…`;
    return (
      `<g><title>${escapeXml(frame.name)}: ${share} % (${(frame.us / 1000).toFixed(0)} ms)</title>` +
      `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${ROW - 1}" fill="${colorOf(frame, root)}"/>` +
      (label ? `<text x="${(x + 3).toFixed(1)}" y="${y + 12}">${escapeXml(label)}</text>` : '') +
      '</g>'
    );
  });
  const legend = Object.values(PALETTE).map(
    (p, i) =>
      `<rect x="${12 + i * 230}" y="38" width="12" height="12" fill="hsl(${p.hue}, ${p.sat}%, 66%)"/>` +
      `<text x="${30 + i * 230}" y="48">${escapeXml(p.label)}</text>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace" font-size="11" fill="#0f172a">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="12" y="24" font-family="sans-serif" font-size="16" font-weight="700">${escapeXml(title)}</text>` +
    `${legend.join('')}${parts.join('')}</svg>`
  );
}

if (import.meta.filename === process.argv[1]) {
  const args = process.argv.slice(2);
  const [file, out] = args.filter((a) => !a.startsWith('--'));
  if (!file || !out)
    throw new Error('usage: flamegraph <file.cpuprofile> <out.svg|out.png> [--from=s --to=s] [--title=…]');
  const window = {
    from: Number(flagOf(args, 'from') ?? 0),
    to: Number(flagOf(args, 'to') ?? Number.POSITIVE_INFINITY),
  };
  const root = callTree(file, window);
  const seconds = Number.isFinite(window.to) ? `${window.from}–${window.to} s` : `from ${window.from} s`;
  const title = `${flagOf(args, 'title') ?? file.split('/').pop()} · busy ${(root.us / 1000).toFixed(0)} ms in ${seconds}`;
  const svg = renderSvg(root, title);
  if (out.endsWith('.svg')) writeFileSync(out, svg);
  else await sharp(Buffer.from(svg)).png().toFile(out);
}
