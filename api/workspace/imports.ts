import { createHash, createHmac } from 'node:crypto';
import { signedByAny, verifyingSecrets } from '../../activities/links';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import multer from 'multer';
import { requirePermission } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { CSV_BODY_LIMIT } from '../routing';
import { checkImport, importMatches, IMPORT_COLUMNS, MAX_IMPORT_ROWS, type ImportCheck } from '../services/imports';
import { fill, WORKSPACE_MESSAGES } from './messages';
import type { PageNotice } from './notices';
import { problemIn } from './problem-words';
import { contextOf, renderView, signedIn } from './render';

/** Good rows the preview shows (every row with a problem is shown, however many). */
const PREVIEW_GOOD_ROWS = 50;
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * The upload's parser, before the CSRF check reads the form's fields: only for a signed-in person, one file of at
 * most 2 MB (5,000 rows fit), kept in memory and never written to disk.
 */
export const importUpload: RequestHandler = (req, res, next) => {
  if (!contextOf(res).principal) return next();
  multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 4 } }).single('file')(
    req,
    res,
    (error: unknown) => {
      if (error instanceof multer.MulterError) {
        res.locals.uploadProblem = error.code === 'LIMIT_FILE_SIZE' ? 'tooLarge' : 'notAFile';
        // The fields read so far still carry the CSRF value; the route says what was wrong.
        return next();
      }
      next(error);
    },
  );
};

/** The confirmation's body carries the file (base64) back: larger than other forms allow. */
export const importConfirmBody = express.urlencoded({ extended: false, limit: CSV_BODY_LIMIT, parameterLimit: 10 });

/**
 * The confirmation's key: it names this file for this person's session, so the button registers exactly the file
 * the preview checked, and pressing it twice (or reloading the result) registers nothing twice: the registration
 * service returns the match already registered for the same row.
 */
function confirmationKey(secret: string, binding: string, bytes: Buffer): string {
  const digest = createHash('sha256').update(bytes).digest('hex');
  return createHmac('sha256', secret).update(`workspace-import:${binding}:${digest}`).digest('base64url');
}

type Problem = { row: number; column: string; message: string };

/** The preview: every row with a problem, then good rows up to a limit; each cell marked with its problems. */
function previewOf(check: ImportCheck, outsideWords: string, locale: 'ja' | 'en') {
  const problems: Problem[] = [
    ...check.errors,
    ...check.outside.map((row) => ({ row, column: columnNameOf(check.header, 'programId'), message: outsideWords })),
  ]
    .map((p) => ({ ...p, message: p.message === outsideWords ? p.message : problemIn(p.message, locale) }))
    .sort((a, b) => a.row - b.row);
  const byRow = new Map<number, Problem[]>();
  for (const p of problems) byRow.set(p.row, [...(byRow.get(p.row) ?? []), p]);
  const bad = check.rows.filter((r) => byRow.has(r.row));
  const good = check.rows.filter((r) => !byRow.has(r.row));
  const shown = [...bad, ...good.slice(0, PREVIEW_GOOD_ROWS)].sort((a, b) => a.row - b.row);
  return {
    header: check.header,
    fileProblems: problems.filter((p) => p.row === 1 || !check.rows.some((r) => r.row === p.row)),
    rows: shown.map((r) => ({
      row: r.row,
      cells: check.header.map((_, c) => r.cells[c] ?? ''),
      problems: byRow.get(r.row) ?? [],
    })),
    hidden: check.rows.length - shown.length,
    problemCount: problems.length,
    badRows: bad.length,
    total: check.rows.length,
    fresh: check.fresh.length,
    existing: check.existing.length,
  };
}

/** The header's name for a field (as the file wrote it), else its first name. */
const columnNameOf = (header: string[], field: string) =>
  header.find((name) => IMPORT_COLUMNS[field]?.includes(name) || IMPORT_COLUMNS[field]?.includes(name.toLowerCase())) ??
  IMPORT_COLUMNS[field]![0]!;

/** A file the service could not read as rows at all (not CSV, broken bytes, too many rows): its problems as a list. */
function unreadable(error: AppError, locale: 'ja' | 'en'): Problem[] {
  const fields = error.errors?.length ? error.errors : [{ field: '(body)', message: error.detail }];
  return fields.map((f) => {
    const row = /^row (\d+)/.exec(f.field);
    return {
      row: row ? Number(row[1]) : 0,
      column: f.field.replace(/^row \d+:?\s*/, '').replace('(body)', ''),
      message: problemIn(f.message, locale),
    };
  });
}

/**
 * CSV import for program managers and admins: upload a file, see its rows with each problem by row and column,
 * and register nothing until the person confirms. Checking and registering are the API import's own
 * (`api/services/imports.ts`); rows for programs the person may not register in are named, never looked up.
 */
export function importRoutes(router: Router, deps: ApiDeps): void {
  const show = (res: Response, status: number, data: Record<string, unknown>) =>
    renderView(res, status, 'imports', {
      nav: 'programs',
      wide: true,
      columns: Object.values(IMPORT_COLUMNS).map((names) => ({ en: names[0], ja: names.at(-1) })),
      maxRows: MAX_IMPORT_ROWS,
      back: '/workspace/imports',
      ...data,
    });
  const refused = (text: string): PageNotice => ({ status: 400, kind: 'error', text });

  router.get('/imports', (_req, res) => {
    requirePermission(signedIn(res), 'register');
    show(res, 200, {});
  });

  async function preview(res: Response, bytes: Buffer, status = 200, notice?: PageNotice) {
    const principal = signedIn(res);
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale].imports;
    let check: ImportCheck;
    try {
      check = await checkImport(deps, principal, bytes);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      return show(res, 400, { notice: notice ?? refused(t.unreadable), fileProblems: unreadable(error, locale) });
    }
    const view = previewOf(check, t.outside, locale);
    const ready = view.problemCount === 0 && view.total > 0;
    show(res, ready ? status : 400, {
      preview: view,
      notice:
        notice ?? (ready ? undefined : refused(view.total ? fill(t.problems, { n: view.problemCount }) : t.noRows)),
      confirm: ready && {
        file: bytes.toString('base64'),
        key: confirmationKey(deps.links.signingSecret, res.locals.csrfBinding as string, bytes),
      },
    });
  }

  router.post('/imports/preview', async (req: Request, res) => {
    requirePermission(signedIn(res), 'register');
    const t = WORKSPACE_MESSAGES[contextOf(res).locale].imports;
    const problem = res.locals.uploadProblem as 'tooLarge' | 'notAFile' | undefined;
    const file = (req as Request & { file?: { buffer: Buffer } }).file;
    if (problem || !file?.buffer.length) return show(res, 400, { notice: refused(t[problem ?? 'noFile']) });
    await preview(res, file.buffer);
  });

  router.post('/imports', async (req, res) => {
    const principal = signedIn(res);
    requirePermission(principal, 'register');
    const { locale } = contextOf(res);
    const t = WORKSPACE_MESSAGES[locale].imports;
    const body = req.body as Record<string, unknown>;
    const bytes = Buffer.from(typeof body.file === 'string' ? body.file : '', 'base64');
    const binding = res.locals.csrfBinding as string;
    const confirmed = signedByAny(verifyingSecrets(deps.links), (s) => confirmationKey(s, binding, bytes), body.key);
    if (!bytes.length || !confirmed) {
      return show(res, 400, { notice: refused(t.notPreviewed) });
    }
    try {
      const result = await importMatches(deps, principal, bytes);
      const matches = await deps.db.match.findMany({
        where: { id: { in: [...result.created, ...result.existing] } },
        select: { id: true, title: true, programId: true },
        orderBy: { id: 'asc' },
      });
      const created = new Set(result.created);
      show(res, 200, {
        result: {
          total: matches.length,
          created: result.created.length,
          matches,
          isNew: (id: string) => created.has(id),
        },
        notice: {
          status: 200,
          kind: 'ok',
          text: fill(t.registered, { n: matches.length, created: result.created.length }),
        },
      });
    } catch (error) {
      // Something changed since the preview (an id taken meanwhile): the file again, with what is wrong now.
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      await preview(res, bytes, 409, { status: 409, kind: 'error', text: t.changed });
    }
  });
}
