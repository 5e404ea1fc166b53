import i18n from './i18n';

const locale = () => (i18n.language === 'de' ? 'de-DE' : 'en-GB');

// Building an Intl.DateTimeFormat costs far more than formatting with one (locale data lookup),
// and every message row shows a time: one formatter per locale and style, built once.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(style: 'time' | 'day' | 'dayYear' | 'weekday' | 'date'): Intl.DateTimeFormat {
  const key = `${locale()}:${style}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), FORMATS[style]);
    formatters.set(key, f);
  }
  return f;
}
const FORMATS: Record<string, Intl.DateTimeFormatOptions> = {
  time: { hour: '2-digit', minute: '2-digit' },
  day: { weekday: 'short', day: 'numeric', month: 'short' },
  dayYear: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' },
  weekday: { weekday: 'short' },
  date: { day: '2-digit', month: '2-digit', year: '2-digit' },
};

/** 14:05 */
export function formatTime(ms: number): string {
  return formatter('time').format(ms);
}

/** Today / Yesterday / Mon 3 Nov / 3 Nov 2025, for day separators. */
export function formatDay(ms: number, now = Date.now()): string {
  const day = startOfDay(ms);
  const today = startOfDay(now);
  if (day === today) return i18n.t('time.today');
  if (day === today - 86_400_000) return i18n.t('time.yesterday');
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return formatter(sameYear ? 'day' : 'dayYear').format(ms);
}

/** The chat list's time column: a time today, a weekday this week, a date before. */
export function formatListTime(ms: number, now = Date.now()): string {
  if (startOfDay(ms) === startOfDay(now)) return formatTime(ms);
  if (now - ms < 6 * 86_400_000) return formatter('weekday').format(ms);
  return formatter('date').format(ms);
}

/** "last seen today at 14:05" in the reader's language. */
export function formatLastSeen(ms: number | null): string {
  if (ms === null) return i18n.t('presence.offline');
  return i18n.t('presence.lastSeen', { day: formatDay(ms), time: formatTime(ms) });
}

/** Local midnight of the day containing `ms`. */
export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Up to two initials for an avatar. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** A stable hue per id, so an avatar keeps its colour everywhere. */
export function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
  return h;
}

/** Human file size: 1.2 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toLocaleString(locale(), { maximumFractionDigits: 1 })} ${units[u]}`;
}
