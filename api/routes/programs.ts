import { Prisma } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { AppError, parseInput } from '../errors';
import { ZPersonInput } from '../services/matches';
import { currentPlaybook, savePlaybook, ZPlaybook } from '../services/playbooks';

export const ZCreateProgramRequest = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1-64 lowercase letters, digits or "-"'),
  name: z.string().trim().min(1).max(200),
  region: z.string().trim().min(1).max(100).optional(),
  /** Program managers (事務局): escalations not acknowledged in time go up to them. */
  managers: z.array(ZPersonInput).max(20).default([]),
});
export type TCreateProgramRequest = z.infer<typeof ZCreateProgramRequest>;

export function programRoutes({ db }: ApiDeps): Router {
  const router = Router();

  router.post('/programs', async (req, res) => {
    const input = parseInput(ZCreateProgramRequest, req.body);
    try {
      const program = await db.$transaction(async (tx) => {
        const created = await tx.program.create({
          data: { id: input.id, name: input.name, region: input.region ?? null },
          select: { id: true, name: true, region: true },
        });
        for (const m of input.managers) {
          const person = await tx.person.upsert({
            where: { email: m.email },
            create: { email: m.email, name: m.name, locale: m.locale, role: 'program_manager' },
            update: { name: m.name, locale: m.locale },
            select: { id: true },
          });
          await tx.programManager.create({ data: { programId: created.id, personId: person.id } });
        }
        return { ...created, managers: input.managers };
      });
      res.status(201).location(`/programs/${program.id}`).json({ program });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new AppError('conflict', `A program with id "${input.id}" already exists.`);
      }
      throw error;
    }
  });

  router.get('/programs/:id/playbook', async (req, res) => {
    const { id } = parseInput(ZProgramParams, req.params, 'path');
    await requireProgram(db, id);
    res.json({ playbook: await currentPlaybook(db, id) });
  });

  /** A new version of the program's playbook; matches already running keep theirs. */
  router.put('/programs/:id/playbook', async (req, res) => {
    const { id } = parseInput(ZProgramParams, req.params, 'path');
    const body = parseInput(ZPlaybook, req.body);
    await requireProgram(db, id);
    try {
      res.json({ playbook: await savePlaybook(db, id, body) });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new AppError('conflict', 'Another version of this playbook was saved at the same moment; try again.');
      }
      throw error;
    }
  });

  return router;
}

const ZProgramParams = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'is not a program id') });

async function requireProgram(db: ApiDeps['db'], id: string): Promise<void> {
  const program = await db.program.findUnique({ where: { id }, select: { id: true } });
  if (!program) throw new AppError('not_found', `No program with id "${id}".`);
}
