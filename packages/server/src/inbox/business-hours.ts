import type { BusinessHours } from '@kurier/protocol';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock in a time zone at an instant: date, weekday, minutes since midnight, UTC offset. */
function wallClock(at: number, timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const [y, m, d, h, min] = [parts.year, parts.month, parts.day, parts.hour, parts.minute].map(Number) as number[];
  const local = Date.UTC(y as number, (m as number) - 1, d as number, h as number, min as number);
  return {
    /** Midnight of the local date, as if the zone were UTC. */
    date: Date.UTC(y as number, (m as number) - 1, d as number),
    weekday: WEEKDAYS.indexOf(parts.weekday as string),
    minutes: (h as number) * 60 + (min as number),
    offset: local - Math.floor(at / MINUTE) * MINUTE,
  };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** The instant a wall-clock time in the zone happens (the later guess across a DST change). */
function instantOf(localAsUtc: number, timeZone: string): number {
  const guess = localAsUtc - wallClock(localAsUtc, timeZone).offset;
  return localAsUtc - wallClock(guess, timeZone).offset;
}

/** Whether the hours are open at an instant; no hours means always open. */
export function isOpen(hours: BusinessHours | null, at: number): boolean {
  if (!hours) return true;
  const now = wallClock(at, hours.timeZone);
  return hours.windows.some(
    (w) => w.day === now.weekday && toMinutes(w.from) <= now.minutes && now.minutes < toMinutes(w.to),
  );
}

/** When the hours next open after `at`; null when always open or never. */
export function nextOpening(hours: BusinessHours | null, at: number): number | null {
  if (!hours || hours.windows.length === 0) return null;
  const today = wallClock(at, hours.timeZone);
  let best: number | null = null;
  for (let k = 0; k <= 7 && best === null; k++) {
    const weekday = (today.weekday + k) % 7;
    for (const w of hours.windows) {
      if (w.day !== weekday) continue;
      const start = instantOf(today.date + k * DAY + toMinutes(w.from) * MINUTE, hours.timeZone);
      if (start > at && (best === null || start < best)) best = start;
    }
  }
  return best;
}
