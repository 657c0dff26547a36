import type { Prisma } from '@prisma/client';
import type { Database } from '../../prisma/client';

/** What bansou stores about a person when a program names them. */
export type PersonInput = { name: string; email: string; locale: string; organization?: string };

/**
 * A person as `programId` knows them: found by email within the program, or created. Each program keeps its own
 * record, so a name, language or organization one program gave never shows in (or changes for) another; an existing
 * record is left as it is (a second match in the same program does not rename someone).
 */
export function personOf(
  db: Database | Prisma.TransactionClient,
  programId: string,
  p: PersonInput,
  role: string,
): Promise<{ id: string }> {
  return db.person.upsert({
    where: { programId_email: { programId, email: p.email } },
    create: { programId, email: p.email, name: p.name, locale: p.locale, role, organization: p.organization ?? null },
    update: {},
    select: { id: true },
  });
}
