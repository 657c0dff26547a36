import { z } from 'zod';
import { ZText } from '../../workflows/text';

/** The pattern the OpenAPI document states for a schema (what fuzzers generate from). */
const patternOf = (schema: z.ZodType) => {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    pattern: string;
    maxLength: number;
  };
  return { pattern: new RegExp(json.pattern, 'u'), maxLength: json.maxLength };
};

const TRICKY = [
  '',
  ' ',
  '\u3000',
  '\n',
  'a',
  ' 山田 ',
  'EC\r\n販路',
  'a\u0000b',
  '\u0000',
  'a\u0007',
  'tab\there',
  'del\u007f',
  'c1\u0085',
  'bom\ufeff',
  '\ufeff',
  '絵文字😀',
  '😀'.repeat(5),
  '😀'.repeat(6),
  'lone \ud800 surrogate',
  'x'.repeat(6),
  'line\u2028sep',
];

describe('ZText: the one family of text schemas', () => {
  it('line: line breaks and tabs become one space, ends trimmed', () => {
    const line = ZText.line({ max: 200 });
    expect(line.parse('  EC 販路\r\n開拓 ')).toBe('EC 販路 開拓');
    expect(line.parse('a \n\n b\tc')).toBe('a b c');
    expect(line.parse('a\u2028b')).toBe('a b');
  });

  it('lines: keeps line breaks (as \\n), ends trimmed', () => {
    expect(ZText.lines({ max: 200 }).parse(' 一行目\r\n二行目\r三行目\n ')).toBe('一行目\n二行目\n三行目');
  });

  it('token: kept exactly as given', () => {
    expect(ZText.token({ max: 10 }).parse(' a b ')).toBe(' a b ');
  });

  it('refuses control characters and unpaired surrogates, naming why', () => {
    for (const schema of [ZText.line({ max: 9 }), ZText.lines({ max: 9 }), ZText.token({ max: 9 })]) {
      for (const bad of ['a\u0000', '\u0001', 'x\u007f', 'x\u009b', 'x\u000b', '\ud800x', 'x\udc00']) {
        const result = schema.safeParse(bad);
        expect(result.success).toBe(false);
        expect(result.error?.issues[0]?.message).toMatch(/control characters/);
      }
    }
  });

  it('refuses blank values unless blank is allowed', () => {
    expect(ZText.line({ max: 9 }).safeParse(' \n ').success).toBe(false);
    expect(ZText.line({ max: 9, blank: true }).parse(' \n ')).toBe('');
    expect(ZText.lines({ max: 9 }).safeParse('\r\n').success).toBe(false);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(ZText.line({ max: 5 }).safeParse('😀'.repeat(5)).success).toBe(true);
    const tooLong = ZText.line({ max: 5 }).safeParse('😀'.repeat(6));
    expect(tooLong.error?.issues[0]).toMatchObject({ code: 'too_big', message: 'must be at most 5 characters' });
  });

  it('email: lowercased; the pattern in the spec is the one that checks it', () => {
    const email = ZText.email();
    expect(email.parse('Hanako.Yamada+bansou@Yamada-Foods.example')).toBe('hanako.yamada+bansou@yamada-foods.example');
    const { pattern } = patternOf(email);
    for (const value of ['a@x.jp', 'a.b@x.co.jp', '.a@x.jp', 'a..b@x.jp', 'a@x', 'a b@x.jp', 'a@x.jp\n', 'a@-x.jp']) {
      expect({ value, accepted: email.safeParse(value).success }).toEqual({ value, accepted: pattern.test(value) });
    }
  });

  it.each([
    ['line', ZText.line({ max: 5 })],
    ['lines', ZText.lines({ max: 5 })],
    ['token', ZText.token({ max: 5 })],
    ['line, blank allowed', ZText.line({ max: 5, blank: true })],
  ])('%s: the pattern in the spec takes exactly the strings the schema takes', (_, schema) => {
    const { pattern, maxLength } = patternOf(schema);
    for (const value of TRICKY) {
      const bySpec = pattern.test(value) && [...value].length <= maxLength;
      expect({ value, accepted: schema.safeParse(value).success }).toEqual({ value, accepted: bySpec });
    }
  });
});
