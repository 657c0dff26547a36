import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import { may, type Principal } from '../auth';
import { AppError, fieldErrors } from '../errors';
import { matchIdFor } from '../../workflows/shared';
import { temporalDeadline } from './actions';
import { matchSelect, ZCreateMatchRequest, type MatchRow, type TMatchInput } from './matches';
import { completeRegistration, keyOf, matchesOf, registerMatch, type MatchStarter } from './registration';

/**
 * Importing matches from the CSV files programs already keep. The header row names the columns, in English or in
 * Japanese (below); dates may be written 2026-12-01 or 2026/12/01; UTF-8 (with or without BOM) or Shift_JIS, as
 * spreadsheets save it. Every row is checked first: if any row is wrong nothing starts, and each wrong cell is named
 * by row and column. Otherwise every new match starts; rows already imported are reported, not started again.
 */
export const IMPORT_COLUMNS: Record<string, readonly string[]> = {
  id: ['id', 'match_id', 'マッチングID'],
  programId: ['program_id', 'program', 'プログラムID'],
  title: ['title', 'プロジェクト名'],
  region: ['region', '地域'],
  startDate: ['start_date', '開始日'],
  endDate: ['end_date', '終了日'],
  'host.organization': ['host_organization', '受入事業者'],
  'host.name': ['host_name', '受入担当者'],
  'host.email': ['host_email', '受入担当者メール'],
  'host.locale': ['host_locale', '受入担当者言語'],
  'talent.name': ['talent_name', '人材'],
  'talent.email': ['talent_email', '人材メール'],
  'talent.locale': ['talent_locale', '人材言語'],
  'coordinator.name': ['coordinator_name', 'コーディネーター'],
  'coordinator.email': ['coordinator_email', 'コーディネーターメール'],
  'coordinator.locale': ['coordinator_locale', 'コーディネーター言語'],
};

export const MAX_IMPORT_ROWS = 5000;

export type ImportRowError = { row: number; column: string; message: string };
export type ImportResult = { total: number; created: string[]; existing: string[] };

/** The file as text, and whether some bytes were neither UTF-8 nor Shift_JIS (each shown as U+FFFD in `text`). */
export type DecodedCsv = { text: string; encoding: 'utf-8' | 'shift_jis'; broken: boolean };

const REPLACEMENT = '\uFFFD';
const count = (text: string, ch: string) => text.split(ch).length - 1;

/**
 * Bytes to text, strictly: UTF-8 if it is valid UTF-8, else Shift_JIS (what Excel in Japan saves) if it is valid
 * Shift_JIS. A file that is neither is read as whichever it is closer to and marked broken, so the import can name
 * the cells with bad bytes instead of storing replacement characters.
 */
export function decodeCsv(bytes: Buffer): DecodedCsv {
  const attempt = (encoding: DecodedCsv['encoding']) => {
    try {
      return new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  };
  const withoutBom = (text: string) => text.replace(/^\uFEFF/, '');
  const utf8 = attempt('utf-8');
  if (utf8 !== undefined) return { text: withoutBom(utf8), encoding: 'utf-8', broken: false };
  const sjis = attempt('shift_jis');
  if (sjis !== undefined) return { text: withoutBom(sjis), encoding: 'shift_jis', broken: false };
  const loose = (encoding: DecodedCsv['encoding']) => withoutBom(new TextDecoder(encoding).decode(bytes));
  const [asUtf8, asSjis] = [loose('utf-8'), loose('shift_jis')];
  return count(asUtf8, REPLACEMENT) < count(asSjis, REPLACEMENT)
    ? { text: asUtf8, encoding: 'utf-8', broken: true }
    : { text: asSjis, encoding: 'shift_jis', broken: true };
}

type ParsedRows = {
  header: string[];
  rows: { row: number; cells: string[]; input: Record<string, unknown> }[];
  columnOf: (field: string) => string;
  errors: ImportRowError[];
};

/** Reads the CSV into request objects, one per data row (row numbers as a spreadsheet shows them). */
export function parseImport(bytes: Buffer): ParsedRows {
  const decoded = decodeCsv(bytes);
  let records: string[][] | undefined;
  let notCsv: ImportRowError | undefined;
  try {
    records = parse(decoded.text, {
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as string[][];
  } catch (error) {
    // A file that is not CSV (an unclosed quote, say): say where, as for any other bad row.
    const line = (error as { lines?: number }).lines;
    notCsv = { row: line ?? 0, column: '', message: error instanceof Error ? error.message : 'not CSV' };
  }
  if (decoded.broken) {
    // Every cell with bytes that are not text, by row and column (nothing else is worth checking in such a file).
    const encoding = decoded.encoding === 'utf-8' ? 'UTF-8' : 'Shift_JIS';
    const message = `has bytes that are not valid ${encoding} (broken characters)`;
    const header = records?.[0] ?? [];
    const bad = (records ?? []).flatMap((cells, r) =>
      cells.flatMap((cell, c) =>
        cell.includes(REPLACEMENT)
          ? [{ field: `row ${r + 1}: ${(r > 0 && header[c]) || `column ${c + 1}`}`, message }]
          : [],
      ),
    );
    throw new AppError(
      'validation_failed',
      'The file is neither valid UTF-8 nor valid Shift_JIS; nothing was imported.',
      bad.length ? bad : [{ field: '(body)', message }],
    );
  }
  if (notCsv || !records) {
    throw new AppError('validation_failed', 'The file is not valid CSV; nothing was imported.', [
      { field: notCsv?.row ? `row ${notCsv.row}` : '(body)', message: notCsv?.message ?? 'not CSV' },
    ]);
  }
  const [header, ...data] = records;
  if (!header)
    throw new AppError('validation_failed', 'The CSV is empty.', [{ field: '(body)', message: 'no header row' }]);
  const fieldFor = new Map<number, string>();
  const columnNames = new Map<string, string>();
  const errors: ImportRowError[] = [];
  header.forEach((name, index) => {
    const field = Object.entries(IMPORT_COLUMNS).find(
      ([, aliases]) => aliases.includes(name) || aliases.includes(name.toLowerCase()),
    )?.[0];
    if (field) {
      fieldFor.set(index, field);
      columnNames.set(field, name);
    } else {
      errors.push({
        row: 1,
        column: name,
        message: `unknown column (use ${Object.values(IMPORT_COLUMNS)
          .map((a) => a[0])
          .join(', ')})`,
      });
    }
  });
  if (data.length > MAX_IMPORT_ROWS) {
    throw new AppError('validation_failed', `At most ${MAX_IMPORT_ROWS} rows per file.`, [
      { field: '(body)', message: `${data.length} rows` },
    ]);
  }
  const rows = data.map((cells, i) => {
    const input: Record<string, unknown> = {};
    cells.forEach((cell, index) => {
      const field = fieldFor.get(index);
      if (!field || cell === '') return;
      const value = /Date$/.test(field)
        ? cell.replace(
            /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/,
            (_, y, m, d) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`,
          )
        : cell;
      const [outer, inner] = field.split('.') as [string, string | undefined];
      if (inner) input[outer] = { ...((input[outer] as object) ?? {}), [inner]: value };
      else input[outer] = value;
    });
    return { row: i + 2, cells, input };
  });
  return { header, rows, errors, columnOf: (field) => columnNames.get(field) ?? IMPORT_COLUMNS[field]?.[0] ?? field };
}

const sameMatch = (
  stored: { programId: string; title: string; startDate: Date; hostEmail: string; talentEmail: string },
  input: TMatchInput,
) =>
  stored.programId === input.programId &&
  stored.title === input.title &&
  stored.startDate.toISOString().slice(0, 10) === input.startDate &&
  stored.hostEmail === input.host.email &&
  stored.talentEmail === input.talent.email;

/** What checking a file found: its rows as read, the problems by row and column, and what registering would do. */
export type ImportCheck = {
  /** The header row and each data row's cells, as the file has them (row numbers as a spreadsheet shows them). */
  header: string[];
  rows: { row: number; cells: string[] }[];
  errors: ImportRowError[];
  /** Rows whose program the principal may not register matches in (unknown programs too: no probing). */
  outside: number[];
  /** The matches to register, and those the file names that are registered already. */
  fresh: TMatchInput[];
  existing: MatchRow[];
};

/**
 * Checks every row of a file and reads what is stored, registering nothing: the API import and the workspace's
 * preview both start here. `principal` null: the CLI, all programs.
 */
export async function checkImport(
  deps: Pick<MatchStarter, 'db'>,
  principal: Principal | null,
  bytes: Buffer,
): Promise<ImportCheck> {
  const { header, rows, errors, columnOf } = parseImport(bytes);
  const valid: { row: number; input: TMatchInput }[] = [];
  const outside: number[] = [];
  for (const { row, input } of rows) {
    const parsed = ZCreateMatchRequest.safeParse(input);
    if (!parsed.success) {
      for (const e of fieldErrors(parsed.error as z.ZodError))
        errors.push({ row, column: columnOf(e.field), message: e.message });
    } else if (principal && !may(principal, 'register', parsed.data.programId)) outside.push(row);
    else valid.push({ row, input: parsed.data });
  }

  // Ids are the programs' own: the same id twice within a program, not across programs, is a mistake.
  const idOf = (input: TMatchInput) => matchIdFor(input.programId, input.id);
  const seen = new Map<string, number>();
  for (const { row, input } of valid) {
    const first = seen.get(idOf(input));
    if (first) errors.push({ row, column: columnOf('id'), message: `the same id as row ${first}` });
    else seen.set(idOf(input), row);
  }
  const programIds = [...new Set(valid.map((v) => v.input.programId))];
  const programs = new Set(
    (await deps.db.program.findMany({ where: { id: { in: programIds } }, select: { id: true } })).map((p) => p.id),
  );
  const stored = new Map(
    (
      await deps.db.match.findMany({
        where: matchesOf(valid.map((v) => v.input)),
        select: matchSelect,
        orderBy: { createdAt: 'desc' }, // (were a key stored twice, the older row is the match)
      })
    ).map((m) => [keyOf(m), m]),
  );
  const existing: MatchRow[] = [];
  const fresh: TMatchInput[] = [];
  for (const { row, input } of valid) {
    if (!programs.has(input.programId)) {
      errors.push({ row, column: columnOf('programId'), message: 'no program with this id' });
      continue;
    }
    const found = stored.get(idOf(input));
    const match = found && { ...found, hostEmail: found.host.email, talentEmail: found.talent.email };
    if (match && !sameMatch(match, input)) {
      errors.push({ row, column: columnOf('id'), message: 'already used by a different match' });
    } else if (found) existing.push(found);
    else fresh.push(input);
  }
  errors.sort((a, b) => a.row - b.row);
  return { header, rows: rows.map(({ row, cells }) => ({ row, cells })), errors, outside, fresh, existing };
}

/**
 * Checks every row, then (only if all are good) starts every new match. `principal` null: the CLI, all programs.
 * `since`: when the request's `Idempotency-Key` was first used; matches stored since then were registered by an
 * earlier attempt of this same request (one a 503 cut short), and are answered as created, as they would have been.
 */
export async function importMatches(
  deps: MatchStarter,
  principal: Principal | null,
  bytes: Buffer,
  { since }: { since?: Date } = {},
): Promise<ImportResult> {
  const { rows, errors, outside, fresh, existing } = await checkImport(deps, principal, bytes);
  // Rows for programs the key does not cover make the whole request a 403 (unknown programs too: no probing).
  if (outside.length) {
    throw new AppError(
      'forbidden',
      `This API key does not cover the program of row(s) ${outside.join(', ')}; nothing was imported.`,
    );
  }
  if (errors.length) {
    throw new AppError(
      'validation_failed',
      `${errors.length} problem(s) in the CSV; nothing was imported.`,
      errors.map((e) => ({ field: `row ${e.row}: ${e.column}`, message: e.message })),
    );
  }
  const ours = (row: MatchRow) => since !== undefined && row.createdAt >= since;
  const created: string[] = existing.filter(ours).map((row) => row.id);
  try {
    // A row a failure left registering on an earlier upload is finished now.
    for (const row of existing) {
      if (!row.registeredAt) await completeRegistration(deps, row, temporalDeadline(deps));
    }
    for (const input of fresh) {
      created.push((await registerMatch(deps, input)).id);
    }
  } catch (error) {
    if (error instanceof AppError && error.code === 'unavailable') {
      const done = created.length
        ? ` ${created.length} new match(es) were registered first (${created.join(', ')}).`
        : '';
      throw new AppError('unavailable', `${error.detail}${done} Upload the same file again to register the rest.`);
    }
    throw error;
  }
  return { total: rows.length, created, existing: existing.filter((row) => !ours(row)).map((m) => m.id) };
}
