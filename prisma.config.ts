import { defineConfig } from 'prisma/config';
import { MigrationPg } from './prisma/migration-adapter';

// Prisma 6.19 runs every migrate command through its WebAssembly schema engine and this driver adapter, so no
// native engine is downloaded (see README, "Database and migrations").
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is required for prisma migrate');
    return new MigrationPg(url);
  },
});
