import type { Prisma } from '@prisma/client';
import type { Database } from '../../prisma/client';
import { matchWorkflowId } from '../../workflows/shared';
import { unique } from './fixtures';

export type SeededPerson = { id: string; email: string; name: string };

/** People of a program for seeded matches (host, talent and coordinators). */
export async function seedPeople(
  db: Database,
  programId: string,
  count: number,
  role: string,
  name = (i: number) => `${role} ${i}`,
): Promise<SeededPerson[]> {
  const people = Array.from({ length: count }, (_, i) => ({
    id: unique(`${role}-p`),
    programId,
    email: `${unique(role)}@seed.example.jp`,
    name: name(i),
    role,
    locale: 'ja',
  }));
  await db.person.createMany({ data: people });
  return people;
}

/**
 * Matches straight into the read model, as the workflow would have left them: for list, filter and KPI tests that
 * need hundreds of matches in given states (no workflows run for these).
 */
export async function seedReadModel(
  db: Database,
  programId: string,
  count: number,
  shape: (
    i: number,
    people: { host: SeededPerson; talent: SeededPerson; coordinators: SeededPerson[] },
  ) => Partial<Prisma.MatchCreateManyInput>,
  coordinators?: SeededPerson[],
): Promise<string[]> {
  const [host] = await seedPeople(db, programId, 1, 'host', () => '山田 花子');
  const [talent] = await seedPeople(db, programId, 1, 'talent', () => 'Alex Tanaka');
  const coords = coordinators ?? (await seedPeople(db, programId, 3, 'coordinator'));
  const rows: Prisma.MatchCreateManyInput[] = Array.from({ length: count }, (_, i) => {
    const id = unique(`seed-${programId.slice(0, 8)}`);
    return {
      id,
      programId,
      title: `案件 ${i}`,
      hostId: host!.id,
      talentId: talent!.id,
      coordinatorId: coords[i % coords.length]!.id,
      startDate: new Date('2026-04-01T00:00:00Z'),
      endDate: new Date('2026-09-30T00:00:00Z'),
      cohort: '2026-04',
      workflowId: matchWorkflowId(id),
      ...shape(i, { host: host!, talent: talent!, coordinators: coords }),
    };
  });
  await db.match.createMany({ data: rows });
  return rows.map((r) => r.id);
}
