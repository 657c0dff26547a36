import { Prisma } from '@prisma/client';
import { z } from 'zod';
import { programScope } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { ApiRoutes } from '../routing';
import { PROGRAM_ID_PATTERN } from '../../workflows/shared';
import { ZText } from '../../workflows/text';
import { ZPersonInput } from '../services/matches';
import { personOf } from '../services/people';
import { currentPlaybook, savePlaybook, ZPlaybook } from '../services/playbooks';
import { programInScope } from '../services/scope';
import { ZProblem } from './schemas';

export const ZProgramId = z.string().regex(PROGRAM_ID_PATTERN, 'must be 1-64 lowercase letters, digits or "-"');

export const ZCreateProgramRequest = z.object({
  id: ZProgramId,
  name: ZText.line({ max: 200 }),
  region: ZText.line({ max: 100 }).optional(),
  /** Program managers (事務局): escalations not acknowledged in time go up to them. */
  managers: z
    .array(ZPersonInput)
    .max(20)
    .default([])
    .refine((ms) => new Set(ms.map((m) => m.email)).size === ms.length, 'each manager once (emails must differ)'),
});
export type TCreateProgramRequest = z.infer<typeof ZCreateProgramRequest>;

const ZProgramView = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string().nullable(),
  managers: z.array(z.object({ name: z.string(), email: z.string(), locale: z.string() })),
});
const ZProgramParams = z.object({ id: ZProgramId });
const ZPlaybookView = z.object({ playbook: ZPlaybook.and(z.object({ version: z.number().int() })) });

export function programRoutes(api: ApiRoutes, { db }: ApiDeps): void {
  api.add(
    {
      method: 'post',
      path: '/programs',
      summary: 'Create a program (admin)',
      tag: 'programs',
      access: 'administer',
      body: ZCreateProgramRequest,
      beyondSchema: "managers' emails differ",
      responses: {
        201: { description: 'Created', schema: z.object({ program: ZProgramView }) },
        400: { description: 'Invalid fields', schema: ZProblem },
        409: { description: 'The id exists', schema: ZProblem },
      },
    },
    async ({ body }) => {
      try {
        const program = await db.$transaction(async (tx) => {
          const created = await tx.program.create({
            data: { id: body.id, name: body.name, region: body.region ?? null },
            select: { id: true, name: true, region: true },
          });
          for (const m of body.managers) {
            const person = await personOf(tx, created.id, m, 'program_manager');
            await tx.programManager.create({ data: { programId: created.id, personId: person.id } });
          }
          return {
            ...created,
            managers: body.managers.map((m) => ({ name: m.name, email: m.email, locale: m.locale })),
          };
        });
        return { status: 201, headers: { location: `/programs/${program.id}` }, body: { program } };
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw new AppError('conflict', `A program with id "${body.id}" already exists.`);
        }
        throw error;
      }
    },
  );

  api.add(
    {
      method: 'get',
      path: '/programs',
      summary: 'The programs this key covers',
      tag: 'programs',
      access: 'read',
      responses: { 200: { description: 'Programs', schema: z.object({ items: z.array(ZProgramView) }) } },
    },
    async ({ principal }) => {
      const scope = programScope(principal);
      const programs = await db.program.findMany({
        where: scope ? { id: { in: scope } } : {},
        orderBy: { id: 'asc' },
        select: {
          id: true,
          name: true,
          region: true,
          managers: { select: { person: { select: { name: true, email: true, locale: true } } } },
        },
      });
      return {
        body: {
          items: programs.map((p) => ({
            id: p.id,
            name: p.name,
            region: p.region,
            managers: p.managers.map((m) => m.person),
          })),
        },
      };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/programs/:id/playbook',
      summary: "The program's current playbook (支援プラン)",
      tag: 'programs',
      access: 'read',
      params: ZProgramParams,
      responses: { 200: { description: 'Current version (version 0 is the default)', schema: ZPlaybookView } },
    },
    async ({ params, principal }) => {
      await programInScope(db, principal, params.id, 'read');
      return { body: { playbook: await currentPlaybook(db, params.id) } };
    },
  );

  api.add(
    {
      method: 'put',
      path: '/programs/:id/playbook',
      summary: 'Save a new version of the playbook; running matches keep the version they started with',
      tag: 'programs',
      access: 'edit_playbook',
      params: ZProgramParams,
      body: ZPlaybook,
      beyondSchema:
        'durations at most 3 years; timeZone an IANA zone; sending hours start before they end; reminderAfter < closeAfter ≤ cadence; task keys and document types unique',
      responses: {
        200: { description: 'The new version', schema: ZPlaybookView },
        400: { description: 'Invalid fields', schema: ZProblem },
        409: { description: 'Saved by someone else at the same moment', schema: ZProblem },
      },
    },
    async ({ params, body, principal }) => {
      await programInScope(db, principal, params.id, 'edit_playbook');
      try {
        return { body: { playbook: await savePlaybook(db, params.id, body) } };
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw new AppError('conflict', 'Another version of this playbook was saved at the same moment; try again.');
        }
        throw error;
      }
    },
  );
}
