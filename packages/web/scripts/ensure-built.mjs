// Builds the web app when its output is missing or older than its sources, so that
// `npm install && npm start` (prestart) and the browser tests always serve the current app.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', '../protocol/src', '../sdk/src'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const sourceTime = Math.max(...inputs.map((p) => newest(join(root, p))));
const builtTime = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (builtTime >= sourceTime && !process.argv.includes('--force')) process.exit(0);

console.log('Building the Kurier web app …');
// Always a production build, even when started from a test runner that set NODE_ENV=test:
// React's development build and a missing service worker would be served otherwise.
process.env.NODE_ENV = 'production';
const { build } = await import('vite');
await build({ root, mode: 'production', logLevel: 'warn' });
writeFileSync(stamp, new Date().toISOString());
console.log('Web app built.');
