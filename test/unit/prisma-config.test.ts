// `prisma generate` loads prisma.config.ts before the client exists (a clean clone): nothing the config imports may
// reach `@prisma/client`, or setup fails with "Cannot find module '.prisma/client/default'".
test('prisma.config.ts loads without the generated Prisma client', () => {
  jest.isolateModules(() => {
    jest.doMock('@prisma/client', () => {
      throw new Error('prisma.config.ts reached @prisma/client');
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require('../../prisma.config').default as { schema: string; migrations: { path: string } };
    expect(config.schema).toBe('prisma/schema.prisma');
    expect(config.migrations.path).toBe('prisma/migrations');
  });
});
