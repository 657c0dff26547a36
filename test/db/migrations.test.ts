import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../dev/env';
import { createTestDatabase, type TestDatabase } from '../support/database';

const run = promisify(execFile);
const prisma = path.join(PROJECT_ROOT, 'node_modules/.bin/prisma');

describe('migrations (offline, through the WebAssembly schema engine)', () => {
  let database: TestDatabase;
  const prismaEnv = () => ({
    ...process.env,
    DATABASE_URL: database.url,
    PRISMA_CLIENT_ENGINE_TYPE: 'client',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('the migrations produce exactly the schema in schema.prisma (no drift)', async () => {
    // Exit code 0: no difference; 2: the schema and the migrations disagree (a migration is missing).
    const result = await run(
      prisma,
      [
        'migrate',
        'diff',
        '--from-migrations',
        'prisma/migrations',
        '--to-schema-datamodel',
        'prisma/schema.prisma',
        '--exit-code',
      ],
      { cwd: PROJECT_ROOT, env: prismaEnv() },
    ).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
    );
    expect(result).toEqual({ code: 0, out: expect.stringContaining('No difference detected') });
  });

  it('a database built from the migrations reports itself up to date', async () => {
    const { stdout } = await run(prisma, ['migrate', 'status'], { cwd: PROJECT_ROOT, env: prismaEnv() });
    expect(stdout).toContain('Database schema is up to date!');
  });
});
