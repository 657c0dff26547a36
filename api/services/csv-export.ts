import type { Response } from 'express';

/**
 * CSV files people open in Excel: UTF-8 with a byte-order mark (without it Excel in Japan reads the file as Shift_JIS
 * and the Japanese comes out garbled), CRLF line ends, and every cell written so a spreadsheet reads it back as text:
 * a cell with a comma, a quote or a line break is quoted, and a text cell that a spreadsheet would take as a formula
 * (starting with =, +, -, @, a tab or a carriage return) gets a leading apostrophe (CSV injection). Numbers are
 * written as numbers.
 */
export type CsvCell = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvDocument(rows: readonly (readonly CsvCell[])[]): string {
  return `\uFEFF${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** Sends rows as a CSV download named `filename` (ASCII; the name people see comes from the page's link). */
export function sendCsv(res: Response, filename: string, rows: readonly (readonly CsvCell[])[]): void {
  res
    .status(200)
    .type('text/csv; charset=utf-8')
    .set('Content-Disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
    .set('Cache-Control', 'no-store')
    .send(csvDocument(rows));
}
