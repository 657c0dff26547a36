import ExcelJS from 'exceljs';
import { csvOfTable } from '../../api/services/csv-export';
import { exportTable, type ExportColumn } from '../../api/services/export-table';
import { xlsxOfTable } from '../../api/services/xlsx-export';

type Row = { title: string; start: string; score: number | null; rate: number | null; median: number };
const columns: ExportColumn<Row>[] = [
  { header: 'プロジェクト', kind: 'text', value: (r) => r.title },
  { header: '開始日', kind: 'date', value: (r) => r.start },
  { header: '健全度', kind: 'integer', value: (r) => r.score },
  { header: '回答率', kind: 'rate', value: (r) => r.rate },
  { header: 'キックオフまでの日数（中央値）', kind: 'decimal', value: (r) => r.median },
];
const table = exportTable('マッチング一覧', columns, [
  {
    title: '=HYPERLINK("http://evil.example","開く"), 長野',
    start: '2026-04-01',
    score: 72,
    rate: 0.8333,
    median: 6.5,
  },
  { title: 'Shop\u0007 renewal', start: '2026-10-15', score: null, rate: null, median: 3 },
]);

async function read(bytes: Buffer): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  expect(workbook.worksheets).toHaveLength(1);
  return workbook.worksheets[0]!;
}

describe('one table, two writers', () => {
  it('writes the same columns and rows as CSV', () => {
    expect(csvOfTable(table)).toBe(
      '\uFEFFプロジェクト,開始日,健全度,回答率,キックオフまでの日数（中央値）\r\n' +
        `"'=HYPERLINK(""http://evil.example"",""開く""), 長野",2026-04-01,72,0.8333,6.5\r\n` +
        'Shop\u0007 renewal,2026-10-15,,,3\r\n',
    );
  });

  it('writes an Excel workbook with typed cells, a frozen header row and widths, read back by exceljs', async () => {
    const sheet = await read(await xlsxOfTable(table));
    expect(sheet.name).toBe('マッチング一覧');
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      'プロジェクト',
      '開始日',
      '健全度',
      '回答率',
      'キックオフまでの日数（中央値）',
    ]);
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBeTruthy();

    const first = sheet.getRow(2);
    // Text stays text, never a formula, and needs no apostrophe.
    expect(first.getCell(1).type).toBe(ExcelJS.ValueType.String);
    expect(first.getCell(1).value).toBe('=HYPERLINK("http://evil.example","開く"), 長野');
    expect(first.getCell(2).type).toBe(ExcelJS.ValueType.Date);
    expect((first.getCell(2).value as Date).toISOString()).toBe('2026-04-01T00:00:00.000Z');
    expect(first.getCell(2).numFmt).toBe('yyyy-mm-dd');
    expect(first.getCell(3).value).toBe(72);
    expect(first.getCell(4).value).toBe(0.8333);
    expect(first.getCell(4).numFmt).toBe('0.0%');
    expect(first.getCell(5).value).toBe(6.5);

    const second = sheet.getRow(3);
    expect(second.getCell(1).value).toBe('Shop renewal');
    expect(second.getCell(3).type).toBe(ExcelJS.ValueType.Null);
    expect(second.getCell(4).type).toBe(ExcelJS.ValueType.Null);

    // Wide enough for the longest value, Japanese counted as two; within bounds.
    const widths = sheet.columns.map((c) => c.width ?? 0);
    expect(widths[0]).toBeGreaterThanOrEqual(40);
    expect(widths[4]).toBeGreaterThanOrEqual(30);
    expect(widths[1]).toBeGreaterThanOrEqual(10);
    expect(widths.every((w) => w >= 8 && w <= 60)).toBe(true);
  });

  it('writes a table with no rows as its header alone', async () => {
    const sheet = await read(await xlsxOfTable(exportTable('KPI', columns, [])));
    expect(sheet.rowCount).toBe(1);
    expect(sheet.getCell('A1').value).toBe('プロジェクト');
  });
});
