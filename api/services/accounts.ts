import { z } from 'zod';
import type { Database } from '../../prisma/client';
import { AppError } from '../errors';

/**
 * Admins of the workspace: the one role marked on an account (by an admin, or by an operator with the CLI); every
 * other role comes from the programs. Accounts are keyed by email.
 */
export const ZAccountEmail = z
  .email({ error: 'must be an email address' })
  .max(320)
  .transform((e) => e.toLowerCase());

export async function markAdmin(db: Database, email: string, by: string): Promise<void> {
  await db.account.upsert({
    where: { email },
    create: { email, admin: true, markedBy: by },
    update: { admin: true, markedBy: by },
  });
}

/** Takes admin away (the person keeps whatever their programs give them). The last admin stays. */
export async function unmarkAdmin(db: Database, email: string, by: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const admins = await tx.account.count({ where: { admin: true, email: { not: email } } });
    if (admins === 0) throw new AppError('conflict', 'This is the last admin; mark another one first.');
    await tx.account.updateMany({ where: { email }, data: { admin: false, markedBy: by } });
  });
}

export function listAdmins(db: Database) {
  return db.account.findMany({
    where: { admin: true },
    orderBy: { email: 'asc' },
    select: { email: true, markedBy: true, updatedAt: true },
  });
}
