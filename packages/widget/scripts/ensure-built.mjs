// Builds the widget (frame app + embed script) when its output is missing or older than its
// sources, like the web app's script: `npm start` and the tests always serve the current widget.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['src', 'index.html', 'vite.config.ts', 'package.json', '../protocol/src', '../sdk/src'];

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

console.log('Building the Kurier chat widget …');
process.env.NODE_ENV = 'production';
const { build } = await import('vite');
await build({ root, mode: 'production', logLevel: 'warn' });
process.env.KURIER_WIDGET_LOADER = '1';
await build({ root, mode: 'production', logLevel: 'warn' });
writeFileSync(stamp, new Date().toISOString());
console.log('Chat widget built.');
