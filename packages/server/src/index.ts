/** @kurier/server — the public entry: build the app (tests, benchmarks) or read the config. */
export { buildApp, type KurierApp, VERSION } from './app.js';
export { type Config, loadConfig } from './config.js';
