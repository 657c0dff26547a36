import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * The pg driver adapter as Prisma's WebAssembly schema engine needs it for `prisma migrate`, offline.
 *
 * Two known bugs are worked around here (prisma/orm#27403 and the shadow database clean-up); the app's own
 * client does not need either and uses the plain adapter (see `prisma/client.ts`).
 */

// pg_catalog's `char` (18) and `name` (19) columns: the adapter has no column type for them, and the schema
// engine reads them while describing a database. Presenting them as `text` (25) is exact for what it reads.
const CATALOG_TEXT_TYPE_IDS = new Set([18, 19]);
const TEXT_TYPE_ID = 25;

type QueryResultLike = { fields?: { dataTypeID: number }[] };

function presentCatalogTypesAsText<T>(result: T): T {
  for (const part of Array.isArray(result) ? result : [result]) {
    for (const field of (part as QueryResultLike | undefined)?.fields ?? []) {
      if (CATALOG_TEXT_TYPE_IDS.has(field.dataTypeID)) field.dataTypeID = TEXT_TYPE_ID;
    }
  }
  return result;
}

type Callback = (error: Error | null, result: unknown) => void;

class CatalogTextClient extends pg.Client {
  // pg.Client.query has many overloads (promise, callback, Submittable); this wraps the two result paths.
  override query(...args: unknown[]): never {
    const query = super.query as unknown as (...a: unknown[]) => unknown;
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const callback = last as Callback;
      args[args.length - 1] = (error: Error | null, result: unknown) =>
        callback(error, error ? result : presentCatalogTypesAsText(result));
      return query.apply(this, args) as never;
    }
    const returned = query.apply(this, args);
    return (returned instanceof Promise ? returned.then(presentCatalogTypesAsText) : returned) as never;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * The adapter factory for migrations. Its shadow database (used by `migrate dev` and the drift check) is created
 * here and dropped WITH (FORCE) only after its pool is closed: the stock factory drops it while its pool is open.
 */
export class MigrationPg extends PrismaPg {
  constructor(private readonly url: string) {
    super({ connectionString: url, Client: CatalogTextClient } as pg.PoolConfig);
  }

  override async connectToShadowDb(): ReturnType<PrismaPg['connectToShadowDb']> {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const shadowUrl = withDatabase(this.url, database);
    const shadow = await new PrismaPg({
      connectionString: shadowUrl,
      Client: CatalogTextClient,
    } as pg.PoolConfig).connect();
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow();
      await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await main.dispose();
    };
    return shadow;
  }
}
