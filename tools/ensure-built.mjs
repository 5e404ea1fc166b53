// `node tools/ensure-built.mjs web widget [--force]`: builds the browser packages whose output is
// missing or older than their sources, so `npm install && npm start` (prestart), the tests and the
// screenshots always serve the current web app and chat widget. Plain JS: it runs before anything
// else is set up.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = ['../protocol/src', '../sdk/src'];
const PACKAGES = {
  web: { title: 'web app', inputs: ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'], builds: [{}] },
  // The widget is two builds: the frame app, then the embed script (see its vite.config.ts).
  widget: {
    title: 'chat widget',
    inputs: ['src', 'index.html', 'vite.config.ts', 'package.json'],
    builds: [{}, { KURIER_WIDGET_LOADER: '1' }],
  },
};

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const force = process.argv.includes('--force');
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const name of names) {
  const pkg = PACKAGES[name];
  if (!pkg) throw new Error(`unknown package ${name}; known: ${Object.keys(PACKAGES).join(', ')}`);
  const root = join(ROOT, 'packages', name);
  const stamp = join(root, 'dist', '.build-stamp');
  const sourceTime = Math.max(...[...pkg.inputs, ...SHARED].map((p) => newest(join(root, p))));
  const builtTime = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  if (builtTime >= sourceTime && !force) continue;
  console.log(`Building the Kurier ${pkg.title} …`);
  // Always a production build, even when started from a test runner that set NODE_ENV=test:
  // React's development build and a missing service worker would be served otherwise.
  process.env.NODE_ENV = 'production';
  const { build } = await import('vite');
  for (const env of pkg.builds) {
    Object.assign(process.env, env);
    await build({ root, mode: 'production', logLevel: 'warn' });
    for (const key of Object.keys(env)) delete process.env[key];
  }
  writeFileSync(stamp, new Date().toISOString());
  console.log(`${pkg.title[0].toUpperCase()}${pkg.title.slice(1)} built.`);
}
