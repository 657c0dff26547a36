import type { ExportCell, ExportTable } from './export-table';

/**
 * CSV files people open in Excel: UTF-8 with a byte-order mark (without it Excel in Japan reads the file as Shift_JIS
 * and the Japanese comes out garbled), CRLF line ends, and every cell written so a spreadsheet reads it back as text:
 * a cell with a comma, a quote or a line break is quoted, and a text cell that a spreadsheet would take as a formula
 * (starting with =, +, -, @, a tab or a carriage return) gets a leading apostrophe (CSV injection). Numbers are
 * written as numbers, rates as fractions (0.8333), dates as YYYY-MM-DD.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: ExportCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvDocument(rows: readonly (readonly ExportCell[])[]): string {
  return `\uFEFF${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** A table as a CSV file: its column names, then its rows. */
export function csvOfTable(table: ExportTable): string {
  return csvDocument([table.columns.map((c) => c.header), ...table.rows]);
}
