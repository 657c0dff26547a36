import { defineConfig } from 'prisma/config';
import { parseEnv, ZDatabaseEnv } from './config/env';
import { MigrationPg } from './prisma/migration-adapter';

// Prisma 6.19 runs every migrate command through its WebAssembly schema engine and this driver adapter, so no
// native engine is downloaded (see README, "Database and migrations").
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: async () => new MigrationPg(parseEnv(ZDatabaseEnv).DATABASE_URL),
});
