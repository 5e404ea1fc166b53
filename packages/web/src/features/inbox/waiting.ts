/** How long someone has waited, short: "3 Min.", "2 Std.", "4 T." style via Intl. */
export function waitingFor(since: number, { locale, now = Date.now() }: { locale: string; now?: number }): string {
  const minutes = Math.max(0, Math.round((now - since) / 60_000));
  const fmt = (value: number, unit: 'minute' | 'hour' | 'day') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }).format(value);
  if (minutes < 60) return fmt(minutes, 'minute');
  if (minutes < 48 * 60) return fmt(Math.round(minutes / 60), 'hour');
  return fmt(Math.round(minutes / 1440), 'day');
}
