#!/usr/bin/env node
// Runs the TypeScript sources through tsx: no build step between `npm install` and `npm start`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
try {
  await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`kurier: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
