import { z } from 'zod';

/**
 * Text as it enters bansou: one family of zod schemas that every text input goes through, on the API, the pages,
 * the CSV import and the CLI alike, and in the workflow's update validators (through `messages.ts`). Pure (zod only),
 * so the workflow bundle carries it.
 *
 * - Control characters (C0 other than tab and line breaks, DEL, C1) and unpaired surrogates are refused with a 400
 *   naming the field: none belongs in a name or a note, and Postgres cannot store NUL at all.
 * - `line`: a name, title, reason…: line breaks and tabs (Excel's Alt+Enter in a CSV cell) become one space, and the
 *   ends are trimmed, so it is safe in an email subject.
 * - `lines`: notes and comments: line breaks are kept (as `\n`), the ends trimmed.
 * - `token`: ids, emails, filters and cursors: kept exactly as given.
 *
 * Lengths count characters (code points), as JSON Schema's `maxLength` does. Each schema states in the OpenAPI
 * document, as a `pattern`, which strings it takes.
 */

/**
 * An email address as bansou takes it: dot-separated atoms before the @, a domain with a top-level name of letters.
 * The spec states it as this very pattern (instead of `format: email`, which tools read in different ways).
 */
const EMAIL = /^[A-Za-z0-9_'+-]+(\.[A-Za-z0-9_'+-]+)*@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

/** Characters no text of bansou may contain (as a regex character-class body). */
const CONTROL = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F';
/** What trimming removes; a `line` or `lines` must hold something else. */
const BLANK = ' \\t\\n\\r\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';

const hasControl = new RegExp(`[${CONTROL}]`);
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ends = new RegExp(`^[${BLANK}]+|[${BLANK}]+$`, 'g');
/** A line break (or tab) with the blanks around it: one space in a `line`. */
const lineBreak = new RegExp(`[${BLANK}]*[\\t\\n\\r\\u2028\\u2029][${BLANK}]*`, 'g');
const blankOnly = new RegExp(`^[${BLANK}]*$`);

type TextOptions = {
  /** Most characters (code points) it may have. */
  max: number;
  /** Accept a blank value (after trimming, the empty string). */
  blank?: boolean;
};

/** The checks every kind shares; `kind` goes into the registry that tests read to see every input uses this family. */
function text(kind: 'line' | 'lines' | 'token', { max, blank = false }: TextOptions) {
  // Unpaired surrogates are refused too, but not named in the pattern: regex engines of other languages (Rust's,
  // for one) cannot express them, and valid UTF-8 (a JSON body, a URL) cannot carry them anyway.
  const refused = CONTROL;
  const nonBlank = kind === 'token' ? `[^${refused}]` : `[^${refused}${BLANK}]`;
  const pattern = blank ? `^[^${refused}]*$` : `^[^${refused}]*${nonBlank}[^${refused}]*$`;
  const schema = z
    .string()
    .superRefine((value, ctx) => {
      if (hasControl.test(value) || loneSurrogate.test(value)) {
        ctx.addIssue({ code: 'custom', message: 'must not contain control characters (such as NUL)' });
      } else if (!blank && (kind === 'token' ? value === '' : blankOnly.test(value))) {
        ctx.addIssue({ code: 'custom', message: 'must not be empty' });
      }
      if ([...value].length > max) {
        ctx.addIssue({
          code: 'too_big',
          origin: 'string',
          maximum: max,
          inclusive: true,
          message: `must be at most ${max} characters`,
        });
      }
    })
    .meta({ pattern, maxLength: max, ...(blank ? {} : { minLength: 1 }) });
  TEXT_SCHEMAS.add(schema, { kind });
  return schema;
}

/** Every schema of the family, so a test can tell a route's text fields all come from here. */
export const TEXT_SCHEMAS = z.registry<{ kind: 'line' | 'lines' | 'token' | 'email' }>();

/** The family; e.g. `ZText.line({ max: 200 })`. */
export const ZText = {
  /** One line (a name, a title, a reason): line breaks and tabs become a space; trimmed. */
  line: (options: TextOptions) =>
    text('line', options).transform((value) => value.replace(lineBreak, ' ').replace(ends, '')),
  /** Several lines (a note, a comment): line breaks kept as `\n`; trimmed. */
  lines: (options: TextOptions) =>
    text('lines', options).transform((value) => value.replace(/\r\n?/g, '\n').replace(ends, '')),
  /** An id, filter or cursor, kept as given. */
  token: (options: TextOptions) => text('token', options),
  /** An email address, lowercased. */
  email: () => {
    const schema = z
      .string()
      .max(320)
      .regex(EMAIL, { error: 'must be an email address' })
      .meta({ pattern: EMAIL.source, maxLength: 320 });
    TEXT_SCHEMAS.add(schema, { kind: 'email' });
    return schema.transform((e) => e.toLowerCase());
  },
};
