/** Makes Excel read the file as UTF-8 (umlauts) instead of the system's legacy code page. */
export const CSV_BOM = '\uFEFF';

/**
 * Spreadsheets run a cell that starts with one of these as a formula (CSV injection); a leading
 * apostrophe makes it text. Numbers are written as they are (a negative number is no formula).
 */
export const FORMULA_START = /^[=+\-@\t\r]/;

// Written by hand: quoting is one rule (RFC 4180), and the formula guard must match the contacts
// import's reverse; parsing, with its many edge cases, is csv-parse's job (contacts/csv.ts).
/** One cell: neutralised against formulas, quoted where a comma, semicolon, quote or line break needs it. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",;\r\n]|^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV record, CRLF-terminated. */
export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
