import { z } from 'zod';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { importMatches } from '../services/imports';
import { ZProblem } from './schemas';

export function importRoutes(api: ApiRoutes, deps: ApiDeps): void {
  api.add(
    {
      method: 'post',
      path: '/imports/matches',
      summary:
        'Import matches from a CSV (every row checked first; nothing starts if any row is wrong; re-upload is idempotent)',
      tag: 'matches',
      access: 'register',
      body: z.instanceof(Buffer, { message: 'send the CSV file as the body with Content-Type: text/csv' }),
      bodyContentType: 'text/csv',
      beyondSchema:
        'UTF-8 or Shift_JIS; known columns; every row as POST /matches takes it (problems named by row and column); ids unique',
      responses: {
        200: {
          description: 'Imported: the matches created now and those that were there already',
          schema: z.object({ total: z.number().int(), created: z.array(z.string()), existing: z.array(z.string()) }),
        },
        400: {
          description: 'Problems by row and column ("row 3: host_email"); nothing was imported',
          schema: ZProblem,
        },
        503: { description: 'Temporal cannot be reached; says which matches were registered first', schema: ZProblem },
      },
    },
    async ({ body, principal, idempotency }) => ({
      body: await importMatches(deps, principal, body, { since: idempotency?.since }),
    }),
  );
}
