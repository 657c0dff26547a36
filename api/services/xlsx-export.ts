import type { ExportColumnKind, ExportTable } from './export-table';

/**
 * Excel workbooks (.xlsx) for reports, written by exceljs: one sheet, the column names in bold on a first row that
 * stays in view when scrolling (frozen) and carries a filter, each column as wide as its longest value, and typed
 * cells: numbers as numbers, rates as numbers shown as percentages, dates as dates. Text is always a text cell, never a
 * formula, so a title starting with = is shown as it is (no CSV-style apostrophe is needed).
 */
const NUMBER_FORMATS: Record<ExportColumnKind, string | undefined> = {
  text: undefined,
  integer: '0',
  decimal: '0.0',
  rate: '0.0%',
  date: 'yyyy-mm-dd',
};

/** Characters XML 1.0 cannot hold (a workbook with one is broken); text entering bansou has none, this makes sure. */
const XML_EXCLUDED = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF';
const NOT_IN_XML = new RegExp(`[${XML_EXCLUDED}]`, 'g');

/** Width in Excel's units (about one Latin character): Japanese and other wide characters count twice. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text)
    width += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(ch)
      ? 2
      : 1;
  return width;
}

const MIN_WIDTH = 8;
const MAX_WIDTH = 60;

/** The cell value exceljs writes for one value of a column. */
function cellValue(kind: ExportColumnKind, value: string | number | null | undefined): string | number | Date | null {
  if (value === null || value === undefined) return null;
  if (kind === 'date' && typeof value === 'string') {
    const date = new Date(`${value}T00:00:00Z`);
    return Number.isNaN(date.getTime()) ? value : date;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return value.replace(NOT_IN_XML, '');
}

/** exceljs takes about a second to load: loaded at the first workbook asked for, not when the API starts. */
const loadLibrary = async () => (await import('exceljs')).default;
let library: ReturnType<typeof loadLibrary> | undefined;

/** A table as an .xlsx file's bytes. */
export async function xlsxOfTable(table: ExportTable): Promise<Buffer> {
  library ??= loadLibrary();
  const ExcelJS = await library;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'bansou';
  const sheet = workbook.addWorksheet(table.sheet.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31), {
    views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }],
  });
  sheet.columns = table.columns.map((c, i) => {
    const longest = Math.max(
      displayWidth(c.header),
      c.kind === 'date' ? 10 : 0,
      ...table.rows.map((row) => displayWidth(String(row[i] ?? ''))),
    );
    const numFmt = NUMBER_FORMATS[c.kind];
    return {
      header: c.header.replace(NOT_IN_XML, ''),
      width: Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2)),
      ...(numFmt ? { style: { numFmt } } : {}),
    };
  });
  sheet.getRow(1).font = { bold: true };
  for (const row of table.rows) sheet.addRow(table.columns.map((c, i) => cellValue(c.kind, row[i])));
  if (table.columns.length)
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: table.columns.length } };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
