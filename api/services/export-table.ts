/**
 * What a download holds, written once and read by both writers (`csv-export.ts`, `xlsx-export.ts`): a sheet name, the
 * columns (a name people read, and what kind of value each holds) and the rows. A column's kind tells the spreadsheet
 * writer how to type and format its cells; the CSV writer writes the same values as text.
 */
export type ExportColumnKind =
  /** Text, written as text (never a formula). */
  | 'text'
  /** A whole number. */
  | 'integer'
  /** A number with one decimal place shown (a median, a mean). */
  | 'decimal'
  /** A fraction (0.8333), shown as a percentage by a spreadsheet. */
  | 'rate'
  /** A calendar date, given as YYYY-MM-DD. */
  | 'date';

export type ExportCell = string | number | null | undefined;

export type ExportColumn<Row> = { header: string; kind: ExportColumnKind; value: (row: Row) => ExportCell };

export type ExportTable = {
  sheet: string;
  columns: readonly { header: string; kind: ExportColumnKind }[];
  rows: readonly (readonly ExportCell[])[];
};

/** The table of `rows`, each cell read by its column. */
export function exportTable<Row>(
  sheet: string,
  columns: readonly ExportColumn<Row>[],
  rows: Iterable<Row>,
): ExportTable {
  return {
    sheet,
    columns: columns.map(({ header, kind }) => ({ header, kind })),
    rows: Array.from(rows, (row) => columns.map((c) => c.value(row))),
  };
}

/** The file formats a table is downloaded as. */
export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
