import { z } from 'zod';
import { AppError } from '../errors';

/**
 * A list of values in the query, comma-separated (`status=open,paused`) or repeated (`status=open&status=paused`); in
 * the spec an array with `style: form, explode: false`.
 */
export const ZQueryList = <T extends string>(values: readonly [T, ...T[]]) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v.flatMap((x) => String(x).split(',')) : v),
    z.array(z.enum(values)).min(1),
  );

/** Page size: 1 to 200, 50 by default. */
export const ZLimit = z.coerce.number().int().min(1).max(200).default(50);

export type SortSpec = {
  field: string;
  direction: 'asc' | 'desc';
  nullable: boolean;
  /** `integer` and `date` values are checked before they reach the database (a cursor is client input). */
  type: 'integer' | 'date' | 'string';
};

/** The database's integer columns are 32-bit. */
const MAX_INT = 2 ** 31 - 1;
const ZDateTime = z.iso.datetime({ offset: true });

type Cursor = { s: string; v: string | number | null; id: string };

/**
 * Keyset cursors: the sort value and id of the last row of a page, so a page never repeats or skips rows when others
 * are added meanwhile. Opaque to clients (base64url JSON), bound to the sort it was made for.
 */
export function encodeCursor(sort: string, value: unknown, id: string): string {
  const v = value instanceof Date ? value.toISOString() : (value as string | number | null);
  return Buffer.from(JSON.stringify({ s: sort, v, id } satisfies Cursor)).toString('base64url');
}

export function decodeCursor(
  cursor: string,
  sort: string,
  spec: Pick<SortSpec, 'nullable' | 'type'>,
): { value: string | number | null; id: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (parsed.s !== sort || typeof parsed.id !== 'string') throw new Error('cursor of another sort');
    // A cursor is only ever made here, but a client may send anything: its value must fit the sort field.
    const v = parsed.v;
    const fits =
      v === null
        ? spec.nullable
        : spec.type === 'integer'
          ? typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= MAX_INT
          : spec.type === 'date'
            ? ZDateTime.safeParse(v).success && !Number.isNaN(Date.parse(v as string))
            : typeof v === 'string';
    if (!fits) throw new Error('cursor value does not fit the sort');
    return { value: v, id: parsed.id };
  } catch {
    throw new AppError('validation_failed', 'The query has 1 invalid field(s).', [
      { field: 'cursor', message: 'is not a cursor from this list (with this sort)' },
    ]);
  }
}

/**
 * Rows after the cursor in (sort field, id) order; nulls sort last in both directions. Date fields compare as dates.
 */
export function keysetAfter(
  sort: SortSpec,
  after: { value: string | number | null; id: string },
): Record<string, unknown> {
  const { field, direction } = sort;
  const value = sort.type === 'date' && typeof after.value === 'string' ? new Date(after.value) : after.value;
  if (value === null) return { [field]: null, id: { gt: after.id } };
  return {
    OR: [
      { [field]: { [direction === 'asc' ? 'gt' : 'lt']: value } },
      { [field]: value, id: { gt: after.id } },
      ...(sort.nullable ? [{ [field]: null }] : []),
    ],
  };
}
