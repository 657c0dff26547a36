import { createHash, randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Database } from '../prisma/client';
import { AppError } from './errors';
import { ZText } from '../workflows/text';

/**
 * API keys: each has a role and the programs it covers. Keys are random 256-bit secrets, stored only as a SHA-256
 * hash; the key itself is shown once, when it is created (CLI `api-key create`, or POST /api-keys by an admin).
 *
 * | role              | may                                                                               |
 * | ----------------- | --------------------------------------------------------------------------------- |
 * | `admin`           | everything, in every program; create programs and API keys                        |
 * | `program_manager` | read everything in its programs; edit their playbooks; register and import matches |
 * | `coordinator`     | read and act on the matches of its programs; register and import matches          |
 */
export const ROLES = ['admin', 'program_manager', 'coordinator'] as const;
export type Role = (typeof ROLES)[number];

export type Principal = { keyId: string; name: string; role: Role; programIds: string[] };

/** What a key may do; each route asks for one of these. */
export type Permission = 'read' | 'act' | 'register' | 'edit_playbook' | 'administer';

const GRANTS: Record<Role, Permission[]> = {
  admin: ['read', 'act', 'register', 'edit_playbook', 'administer'],
  program_manager: ['read', 'register', 'edit_playbook'],
  coordinator: ['read', 'act', 'register'],
};

export const ZCreateApiKeyRequest = z.object({
  name: ZText.line({ max: 100 }),
  role: z.enum(ROLES),
  programIds: z
    .array(ZText.token({ max: 64 }))
    .max(100)
    .default([]),
});
export type TCreateApiKeyRequest = z.infer<typeof ZCreateApiKeyRequest>;

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

/** Creates a key; returns it in full (the only time it exists anywhere but in the caller's hands). */
export async function createApiKey(
  db: Database,
  input: TCreateApiKeyRequest,
): Promise<{ id: string; key: string; prefix: string }> {
  if (input.role !== 'admin' && input.programIds.length === 0) {
    throw new AppError('validation_failed', 'A program manager or coordinator key needs at least one program.', [
      { field: 'programIds', message: 'must name at least one program' },
    ]);
  }
  const found = new Set(
    (await db.program.findMany({ where: { id: { in: input.programIds } }, select: { id: true } })).map((p) => p.id),
  );
  const unknown = input.programIds.filter((id) => !found.has(id));
  if (unknown.length) {
    throw new AppError('validation_failed', 'The body has 1 invalid field(s).', [
      { field: 'programIds', message: `no program with id ${[...new Set(unknown)].join(', ')}` },
    ]);
  }
  const secret = randomBytes(32).toString('base64url');
  const prefix = `bsk_${secret.slice(0, 8)}`;
  const key = `${prefix}_${secret.slice(8)}`;
  const row = await db.apiKey.create({
    data: {
      name: input.name,
      role: input.role,
      programIds: input.role === 'admin' ? [] : input.programIds,
      hash: hashOf(key),
      prefix,
    },
    select: { id: true },
  });
  return { id: row.id, key, prefix };
}

/** A key as lists show it: never the key itself. */
export const ZApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: z.enum(ROLES),
  programIds: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe('its last use (recorded at most once a minute)'),
  revokedAt: z.string().nullable(),
});
export type TApiKeyView = z.infer<typeof ZApiKeyView>;

const keyViewSelect = {
  id: true,
  name: true,
  prefix: true,
  role: true,
  programIds: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

function toKeyView(k: {
  id: string;
  name: string;
  prefix: string;
  role: string;
  programIds: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): TApiKeyView {
  return {
    ...k,
    role: k.role as Role,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/** Every key, oldest first, with its last use. */
export async function listApiKeys(db: Database): Promise<TApiKeyView[]> {
  return (await db.apiKey.findMany({ orderBy: { createdAt: 'asc' }, select: keyViewSelect })).map(toKeyView);
}

/**
 * Revokes a key, found by its id or its prefix (`bsk_…`, as lists show it): from the next request on it answers 401.
 * Revoking a revoked key changes nothing.
 */
export async function revokeApiKey(db: Database, idOrPrefix: string): Promise<TApiKeyView> {
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix);
  const found = await db.apiKey.findMany({
    where: isId ? { id: idOrPrefix.toLowerCase() } : { prefix: idOrPrefix },
    select: { id: true },
    take: 2,
  });
  if (found.length !== 1) {
    throw new AppError(
      'not_found',
      found.length ? `More than one key starts with "${idOrPrefix}"; use its id.` : `No API key "${idOrPrefix}".`,
    );
  }
  await db.apiKey.updateMany({ where: { id: found[0]!.id, revokedAt: null }, data: { revokedAt: new Date() } });
  return toKeyView(await db.apiKey.findUniqueOrThrow({ where: { id: found[0]!.id }, select: keyViewSelect }));
}

/** Reads the key from `Authorization: Bearer …` (or `X-Api-Key`) and sets `res.locals.principal`; 401 otherwise. */
export function authenticate(db: Database): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const key = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? req.get('x-api-key');
    if (!key) return next(new AppError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>".'));
    const row = await db.apiKey.findUnique({
      where: { hash: hashOf(key) },
      select: { id: true, name: true, role: true, programIds: true, revokedAt: true, lastUsedAt: true },
    });
    if (!row || row.revokedAt) return next(new AppError('unauthenticated', 'The API key is not valid.'));
    const principal: Principal = { keyId: row.id, name: row.name, role: row.role as Role, programIds: row.programIds };
    res.locals.principal = principal;
    // Last use, at most once a minute per key, without holding up the request.
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
      void db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new AppError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>".');
  return principal;
}

/** The programs a principal sees: `undefined` means all (admin). */
export function programScope(principal: Principal): string[] | undefined {
  return principal.role === 'admin' ? undefined : principal.programIds;
}

export function covers(principal: Principal, programId: string): boolean {
  return principal.role === 'admin' || principal.programIds.includes(programId);
}

/** 403 unless the key's role grants `permission` (and, with a program, the key covers it). */
export function requirePermission(principal: Principal, permission: Permission, programId?: string): void {
  if (!GRANTS[principal.role].includes(permission)) {
    throw new AppError('forbidden', `A ${principal.role} key may not do this.`);
  }
  if (programId !== undefined && !covers(principal, programId)) {
    throw new AppError('forbidden', 'This API key does not cover that program.');
  }
}
