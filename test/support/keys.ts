import { createApiKey, type Role } from '../../api/auth';
import type { Database } from '../../prisma/client';
import { unique } from './fixtures';

/** An API key of `role` covering `programIds`, as request headers. */
export async function keyHeaders(db: Database, role: Role, programIds: string[] = []): Promise<Record<string, string>> {
  const { key } = await createApiKey(db, { name: unique(role), role, programIds });
  return { authorization: `Bearer ${key}` };
}
