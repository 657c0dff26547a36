import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../dev/env';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MIGRATIONS = path.join(PROJECT_ROOT, 'prisma', 'migrations');
const SPLIT = 'people_per_program';

/**
 * The migration that gives each program its own record of a person, on data from before it: a person two programs
 * shared becomes two records, each program's matches and managers point at their own, and nobody is lost.
 */
describe('migration: people per program', () => {
  let database: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    // An empty database, built by the migrations that came before this one.
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('DROP SCHEMA public CASCADE');
    await client.query('CREATE SCHEMA public');
    for (const dir of readdirSync(MIGRATIONS)
      .filter((d) => /^\d+_/.test(d))
      .sort()) {
      if (dir.endsWith(SPLIT)) break;
      await client.query(readFileSync(path.join(MIGRATIONS, dir, 'migration.sql'), 'utf8'));
    }
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('splits a person two programs share, re-points their rows, and drops records nobody refers to', async () => {
    const q = (sql: string, values: unknown[] = []) => client.query(sql, values);
    await q(`INSERT INTO "Program" (id, name) VALUES ('prog-a', 'A'), ('prog-b', 'B')`);
    const person = (id: string, email: string, name: string, role: string) =>
      q(`INSERT INTO "Person" (id, email, name, locale, role) VALUES ($1, $2, $3, 'ja', $4)`, [id, email, name, role]);
    await person('shared', 'shared@example.jp', '共有 花子', 'host');
    await person('talent-a', 'talent.a@example.jp', 'A 人材', 'talent');
    await person('talent-b', 'talent.b@example.jp', 'B 人材', 'talent');
    await person('coord', 'coord@example.jp', '鈴木 一郎', 'coordinator');
    await person('nobody', 'nobody@example.jp', '誰でもない', 'coordinator');
    const match = (id: string, program: string, talent: string) =>
      q(
        `INSERT INTO "Match" (id, "programId", title, "hostId", "talentId", "coordinatorId", "startDate", "endDate",
           "workflowId", cohort, "updatedAt")
         VALUES ($1, $2, 't', 'shared', $3, 'coord', '2026-04-01', '2026-09-30', $4, '2026-04', now())`,
        [id, program, talent, `match:${id}`],
      );
    await match('m-a', 'prog-a', 'talent-a');
    await match('m-b', 'prog-b', 'talent-b');
    // The shared host is also program B's manager.
    await q(`INSERT INTO "ProgramManager" ("programId", "personId") VALUES ('prog-b', 'shared')`);

    await client.query(
      readFileSync(
        path.join(
          MIGRATIONS,
          readdirSync(MIGRATIONS).find((d) => d.endsWith(SPLIT))!,
          'migration.sql',
        ),
        'utf8',
      ),
    );

    const people = (await q(`SELECT id, "programId", email, name FROM "Person" ORDER BY email, "programId"`)).rows as {
      id: string;
      programId: string;
      email: string;
      name: string;
    }[];
    expect(people.map((p) => [p.email, p.programId, p.name])).toEqual([
      ['coord@example.jp', 'prog-a', '鈴木 一郎'],
      ['coord@example.jp', 'prog-b', '鈴木 一郎'],
      ['shared@example.jp', 'prog-a', '共有 花子'],
      ['shared@example.jp', 'prog-b', '共有 花子'],
      ['talent.a@example.jp', 'prog-a', 'A 人材'],
      ['talent.b@example.jp', 'prog-b', 'B 人材'],
    ]);
    const idOf = (email: string, programId: string) =>
      people.find((p) => p.email === email && p.programId === programId)!.id;
    // The program that sorts first keeps the existing records; the other points at its copies.
    expect(idOf('shared@example.jp', 'prog-a')).toBe('shared');
    const rows = (await q(`SELECT id, "hostId", "talentId", "coordinatorId" FROM "Match" ORDER BY id`)).rows;
    expect(rows).toEqual([
      { id: 'm-a', hostId: 'shared', talentId: 'talent-a', coordinatorId: 'coord' },
      {
        id: 'm-b',
        hostId: idOf('shared@example.jp', 'prog-b'),
        talentId: 'talent-b',
        coordinatorId: idOf('coord@example.jp', 'prog-b'),
      },
    ]);
    const managers = (await q(`SELECT "programId", "personId" FROM "ProgramManager"`)).rows;
    expect(managers).toEqual([{ programId: 'prog-b', personId: idOf('shared@example.jp', 'prog-b') }]);
    // One record per program and address from now on.
    await expect(
      q(
        `INSERT INTO "Person" (id, "programId", email, name, role) VALUES ('x', 'prog-a', 'coord@example.jp', 'x', 'x')`,
      ),
    ).rejects.toThrow(/Person_programId_email_key/);
  });
});
