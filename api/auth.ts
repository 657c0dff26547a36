import { hash, randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Database } from '../prisma/client';
import type { Actor } from '../workflows/messages';
import { AppError } from './errors';
import { ZText } from '../workflows/text';

/**
 * Who may do what, in which program: one layer for API keys and for people signed in to the workspace.
 *
 * | role              | may                                                                               |
 * | ----------------- | --------------------------------------------------------------------------------- |
 * | `admin`           | everything, in every program; create programs and API keys                        |
 * | `program_manager` | read everything in its programs; edit their playbooks; register and import matches |
 * | `coordinator`     | read and act on the matches of its programs; register and import matches          |
 *
 * An API key has one role and the programs it covers. A person signed in by email holds, in each program, the roles
 * the program gives them: coordinator when they coordinate one of its matches, program manager when they are one of
 * its managers; admin when an admin marked their account. Both become the same `Principal`, checked by the same code.
 */
export const ROLES = ['admin', 'program_manager', 'coordinator'] as const;
export type Role = (typeof ROLES)[number];
export type ProgramRole = Exclude<Role, 'admin'>;

/** Who did something: recorded with every action (the timeline, the workflow's audit trail). */
export type { Actor };

export type Principal = Actor & {
  admin: boolean;
  /** The roles held in each program (an admin covers every program without being listed here). */
  roles: Record<string, ProgramRole[]>;
};

/** What a principal may do; each route asks for one of these. */
export type Permission =
  'read' | 'read_answers' | 'act' | 'register' | 'edit_playbook' | 'manage_webhooks' | 'administer';

const GRANTS: Record<Role, Permission[]> = {
  admin: ['read', 'read_answers', 'act', 'register', 'edit_playbook', 'manage_webhooks', 'administer'],
  program_manager: ['read', 'register', 'edit_playbook', 'manage_webhooks'],
  // Host's and talent's own words are for the coordinator (and admins); program managers see who answered.
  coordinator: ['read', 'read_answers', 'act', 'register'],
};

export const actorOf = (p: Principal): Actor => ({ kind: p.kind, id: p.id, name: p.name });

/** Whether the principal may `permission` in `programId`, or (without a program) in any program. */
export function may(principal: Principal, permission: Permission, programId?: string): boolean {
  if (principal.admin) return true;
  const roles = programId === undefined ? Object.values(principal.roles).flat() : (principal.roles[programId] ?? []);
  return roles.some((role) => GRANTS[role].includes(permission));
}

/** The programs a principal may `permission` in: `undefined` means all (admin). */
export function programScope(principal: Principal, permission: Permission = 'read'): string[] | undefined {
  if (principal.admin) return undefined;
  return Object.keys(principal.roles).filter((programId) => may(principal, permission, programId));
}

export function covers(principal: Principal, programId: string): boolean {
  return principal.admin || (principal.roles[programId]?.length ?? 0) > 0;
}

/** 403 unless the principal's roles grant `permission` (in `programId`, when given). */
export function requirePermission(principal: Principal, permission: Permission, programId?: string): void {
  if (!may(principal, permission)) {
    throw new AppError('forbidden', `${principal.kind === 'api_key' ? 'This API key' : 'You'} may not do this.`);
  }
  if (programId !== undefined && !may(principal, permission, programId)) {
    throw new AppError(
      'forbidden',
      principal.kind === 'api_key'
        ? 'This API key does not cover that program.'
        : 'You may not do this in that program.',
    );
  }
}

// API keys ------------------------------------------------------------------------------------------------------

export const ZCreateApiKeyRequest = z.object({
  name: ZText.line({ max: 100 }),
  role: z.enum(ROLES),
  programIds: z
    .array(ZText.token({ max: 64 }))
    .max(100)
    .default([]),
});
export type TCreateApiKeyRequest = z.infer<typeof ZCreateApiKeyRequest>;

/** A key's SHA-256 in hex, in one call (each request's key is hashed to find it: no hash object per request). */
const hashOf = (key: string) => hash('sha256', key, 'hex');

/**
 * Creates a key; returns it in full (the only time it exists anywhere but in the caller's hands). Keys are random
 * 256-bit secrets, stored only as a SHA-256 hash.
 */
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
 * Revokes a key, found by its id or its prefix (`bsk_…`, as lists show it): from the next request on it answers 401
 * (within `API_KEY_CACHE_SECONDS` on an API process that looked it up before).
 * Revoking a revoked key changes nothing. A key cannot revoke itself (`callerKeyId`): the last admin key would lock
 * everyone out but the CLI.
 */
export async function revokeApiKey(db: Database, idOrPrefix: string, callerKeyId?: string): Promise<TApiKeyView> {
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
  if (found[0]!.id === callerKeyId) {
    throw new AppError('conflict', 'A key cannot revoke itself; use another admin key or the CLI.');
  }
  await db.apiKey.updateMany({ where: { id: found[0]!.id, revokedAt: null }, data: { revokedAt: new Date() } });
  return toKeyView(await db.apiKey.findUniqueOrThrow({ where: { id: found[0]!.id }, select: keyViewSelect }));
}

/** The principal of an API key row. */
export function keyPrincipal(row: { id: string; name: string; role: string; programIds: string[] }): Principal {
  const role = row.role as Role;
  return {
    kind: 'api_key',
    id: row.id,
    name: row.name,
    admin: role === 'admin',
    roles: role === 'admin' ? {} : Object.fromEntries(row.programIds.map((p) => [p, [role]])),
  };
}

/** How long a key's lookup is kept in a process at most: a revoked key answers 401 on every replica within this. */
export const API_KEY_CACHE_MS = 5000;
/** Keys kept at most; past this the oldest lookups are forgotten first. */
const API_KEY_CACHE_ENTRIES = 1000;

type CachedKey = { principal: Principal; until: number; lastUsedAt: number | null };

/**
 * Looks keys up by their hash, keeping each found key for `cacheMs` so a burst of requests with one key costs one
 * query. A revocation takes effect at once in the process that revoked the key (`forget`), and within `cacheMs` in
 * every other one (another API replica, the CLI). Unknown keys are never kept: they would let anyone fill the cache.
 */
export class ApiKeys {
  private readonly found = new Map<string, CachedKey>();

  constructor(
    private readonly db: Database,
    private readonly cacheMs: number = API_KEY_CACHE_MS,
  ) {}

  /** The key's principal, or `null` when it is unknown or revoked. */
  async principal(key: string): Promise<Principal | null> {
    const keyHash = hashOf(key);
    const now = Date.now();
    let entry = this.found.get(keyHash);
    if (!entry || entry.until <= now) {
      this.found.delete(keyHash);
      const row = await this.db.apiKey.findUnique({
        where: { hash: keyHash },
        select: { id: true, name: true, role: true, programIds: true, revokedAt: true, lastUsedAt: true },
      });
      if (!row || row.revokedAt) return null;
      entry = {
        principal: keyPrincipal(row),
        until: now + this.cacheMs,
        lastUsedAt: row.lastUsedAt?.getTime() ?? null,
      };
      if (this.cacheMs > 0) {
        if (this.found.size >= API_KEY_CACHE_ENTRIES) this.found.delete(this.found.keys().next().value!);
        this.found.set(keyHash, entry);
      }
    }
    // Last use, at most once a minute per key, without holding up the request.
    if (entry.lastUsedAt === null || now - entry.lastUsedAt > 60_000) {
      entry.lastUsedAt = now;
      const id = entry.principal.id;
      void this.db.apiKey.update({ where: { id }, data: { lastUsedAt: new Date(now) } }).catch(() => undefined);
    }
    return entry.principal;
  }

  /** Drops a key from this process's cache (it was just revoked here). */
  forget(id: string): void {
    for (const [hash, entry] of this.found) if (entry.principal.id === id) this.found.delete(hash);
  }
}

/** Reads the key from `Authorization: Bearer …` (or `X-Api-Key`) and sets `res.locals.principal`; 401 otherwise. */
export function authenticate(keys: ApiKeys): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const key = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? req.get('x-api-key');
    if (!key) return next(new AppError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>".'));
    const principal = await keys.principal(key);
    if (!principal) return next(new AppError('unauthenticated', 'The API key is not valid.'));
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new AppError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>".');
  return principal;
}

// People signed in by email ---------------------------------------------------------------------------------------

/**
 * The principal of a person by email, from what the programs say about them: coordinator in each program where
 * they coordinate a match, program manager where they manage; admin when their account is marked so. `null` when
 * bansou gives them no role at all (they cannot sign in).
 */
export async function accountPrincipal(db: Database, email: string): Promise<Principal | null> {
  const [account, coordinated, managed, person] = await Promise.all([
    db.account.findUnique({ where: { email }, select: { admin: true } }),
    db.match.findMany({ where: { coordinator: { email } }, select: { programId: true }, distinct: ['programId'] }),
    db.programManager.findMany({ where: { person: { email } }, select: { programId: true } }),
    db.person.findFirst({ where: { email }, select: { name: true }, orderBy: { createdAt: 'asc' } }),
  ]);
  const roles: Record<string, ProgramRole[]> = {};
  for (const { programId } of managed) roles[programId] = ['program_manager'];
  for (const { programId } of coordinated) roles[programId] = [...(roles[programId] ?? []), 'coordinator'];
  const admin = account?.admin ?? false;
  if (!admin && Object.keys(roles).length === 0) return null;
  return { kind: 'account', id: email, name: person?.name ?? email, admin, roles };
}
