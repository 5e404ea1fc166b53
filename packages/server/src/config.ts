import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

// The server and the web app live in one repository; the app's build output sits beside it.
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));
const DEFAULT_WIDGET_DIR = fileURLToPath(new URL('../../widget/dist', import.meta.url));

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  KURIER_DATA_DIR: z.string().default('./data'),
  KURIER_DATABASE_URL: z.string().url().optional(),
  KURIER_PUBLIC_URL: z.string().url().optional(),
  KURIER_TLS_CERT: z.string().optional(),
  KURIER_TLS_KEY: z.string().optional(),
  KURIER_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KURIER_TRUST_PROXY: z.stringbool().default(false),
  KURIER_SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  KURIER_LOGIN_RATE: z.coerce.number().int().min(1).default(10),
  KURIER_WS_FRAMES_PER_SECOND: z.coerce.number().int().min(1).default(200),
  KURIER_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * 1024 * 1024),
  KURIER_UPLOAD_RATE: z.coerce.number().int().min(1).default(60),
  KURIER_WEB_DIR: z.string().optional(),
  KURIER_WIDGET_DIR: z.string().optional(),
  KURIER_WIDGET_VISITOR_RATE: z.coerce.number().int().min(1).default(10),
});

/** Everything the server needs to know at start, validated once. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  publicUrl: string | null;
  tls: { cert: string; key: string } | null;
  logLevel: string;
  trustProxy: boolean;
  sessionTtlMs: number;
  /** Credential requests per minute per client address; also failed logins per username. */
  loginRatePerMinute: number;
  /** Sustained frames per second a WS connection may send (burst: twice that). */
  wsFramesPerSecond: number;
  /** Largest accepted upload in bytes (the file itself, not counting multipart framing). */
  maxUploadBytes: number;
  /** Uploads per minute per session. */
  uploadsPerMinute: number;
  /** The built web app (packages/web/dist by default), served at `/`. */
  webDir: string;
  /** The built chat widget (packages/widget/dist by default): /widget.js, /widget/frame, /c/<slug>. */
  widgetDir: string;
  /** Widget pre-chat forms (new visitors) per client address and minute. */
  widgetVisitorsPerMinute: number;
}

/** Reads the environment; throws a readable error naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${issues}`);
  }
  const e = parsed.data;
  if (Boolean(e.KURIER_TLS_CERT) !== Boolean(e.KURIER_TLS_KEY)) {
    throw new Error('invalid configuration: set both KURIER_TLS_CERT and KURIER_TLS_KEY, or neither');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.KURIER_DATA_DIR),
    databaseUrl: e.KURIER_DATABASE_URL ?? null,
    publicUrl: e.KURIER_PUBLIC_URL ?? null,
    tls: e.KURIER_TLS_CERT && e.KURIER_TLS_KEY ? { cert: e.KURIER_TLS_CERT, key: e.KURIER_TLS_KEY } : null,
    logLevel: e.KURIER_LOG_LEVEL,
    trustProxy: e.KURIER_TRUST_PROXY,
    sessionTtlMs: e.KURIER_SESSION_DAYS * 86_400_000,
    loginRatePerMinute: e.KURIER_LOGIN_RATE,
    wsFramesPerSecond: e.KURIER_WS_FRAMES_PER_SECOND,
    maxUploadBytes: e.KURIER_MAX_UPLOAD_BYTES,
    uploadsPerMinute: e.KURIER_UPLOAD_RATE,
    webDir: e.KURIER_WEB_DIR ? resolve(e.KURIER_WEB_DIR) : DEFAULT_WEB_DIR,
    widgetDir: e.KURIER_WIDGET_DIR ? resolve(e.KURIER_WIDGET_DIR) : DEFAULT_WIDGET_DIR,
    widgetVisitorsPerMinute: e.KURIER_WIDGET_VISITOR_RATE,
  };
}
