import { csvCell, csvDocument } from '../../api/services/csv-export';

describe('CSV for spreadsheets', () => {
  it('quotes commas, quotes and line breaks, and keeps Japanese as it is', () => {
    expect(csvCell('販路開拓, 長野')).toBe('"販路開拓, 長野"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('一行目\n二行目')).toBe('"一行目\n二行目"');
    expect(csvCell('山田食品')).toBe('山田食品');
  });

  it('neutralises text a spreadsheet would run as a formula, but writes numbers as numbers', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('+81 3 1234')).toBe("'+81 3 1234");
    expect(csvCell('-cmd')).toBe("'-cmd");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(0.25)).toBe('0.25');
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
  });

  it('starts with a UTF-8 byte-order mark and ends lines with CRLF', () => {
    const text = csvDocument([
      ['a', 'b'],
      [1, '二'],
    ]);
    expect(text).toBe('\uFEFFa,b\r\n1,二\r\n');
    expect([...Buffer.from(text).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });
});
