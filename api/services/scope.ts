import type { Database } from '../../prisma/client';
import { may, requirePermission, type Permission, type Principal } from '../auth';
import { AppError } from '../errors';

/** The subject of a refusal: an API key, or the person signed in. */
const whoDoes = (principal: Principal) => (principal.kind === 'api_key' ? 'This API key does' : 'You do');

/**
 * The match a request is about, if the key may `permission` it. A key that does not cover the match's program gets
 * the same 403 whether the match exists or not, so nothing about other programs can be learned from errors.
 */
export async function matchInScope(db: Database, principal: Principal, matchId: string, permission: Permission) {
  requirePermission(principal, permission);
  const match = await db.match.findUnique({ where: { id: matchId }, select: { id: true, programId: true } });
  return inScope(principal, matchId, match, permission);
}

/** The same check on a match already read (with whatever else the request needed, in the same round trip). */
export function inScope<M extends { programId: string }>(
  principal: Principal,
  matchId: string,
  match: M | null,
  permission: Permission,
): M {
  if (match && may(principal, permission, match.programId)) return match;
  if (principal.admin) throw new AppError('not_found', `No match with id "${matchId}".`);
  throw new AppError('forbidden', `${whoDoes(principal)} not cover that match (or there is no such match).`);
}

/** The same for an escalation (through its match). */
export async function escalationInScope(
  db: Database,
  principal: Principal,
  escalationId: string,
  permission: Permission,
) {
  requirePermission(principal, permission);
  const escalation = await db.escalation.findUnique({
    where: { id: escalationId },
    select: { id: true, matchId: true, match: { select: { programId: true } } },
  });
  if (escalation && may(principal, permission, escalation.match.programId)) return escalation;
  if (principal.admin) throw new AppError('not_found', `No escalation with id "${escalationId}".`);
  throw new AppError('forbidden', `${whoDoes(principal)} not cover that escalation (or there is no such escalation).`);
}

/** 403 unless the key covers the program (same answer whether the program exists or not). */
export async function programInScope(db: Database, principal: Principal, programId: string, permission: Permission) {
  requirePermission(principal, permission, programId);
  const program = await db.program.findUnique({
    where: { id: programId },
    select: { id: true, name: true, region: true },
  });
  if (!program) {
    if (principal.admin) throw new AppError('not_found', `No program with id "${programId}".`);
    throw new AppError('forbidden', `${whoDoes(principal)} not cover that program.`);
  }
  return program;
}
