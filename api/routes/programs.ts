import { Prisma } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { AppError, parseInput } from '../errors';

export const ZCreateProgramRequest = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1-64 lowercase letters, digits or "-"'),
  name: z.string().trim().min(1).max(200),
  region: z.string().trim().min(1).max(100).optional(),
});
export type TCreateProgramRequest = z.infer<typeof ZCreateProgramRequest>;

export function programRoutes({ db }: ApiDeps): Router {
  const router = Router();

  router.post('/programs', async (req, res) => {
    const input = parseInput(ZCreateProgramRequest, req.body);
    try {
      const program = await db.program.create({
        data: { id: input.id, name: input.name, region: input.region ?? null },
        select: { id: true, name: true, region: true },
      });
      res.status(201).location(`/programs/${program.id}`).json({ program });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new AppError('conflict', `A program with id "${input.id}" already exists.`);
      }
      throw error;
    }
  });

  return router;
}
