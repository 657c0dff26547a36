import type { Database } from '../../prisma/client';
import { covers, requirePermission, type Permission, type Principal } from '../auth';
import { AppError } from '../errors';

/**
 * The match a request is about, if the key may `permission` it. A key that does not cover the match's program gets
 * the same 403 whether the match exists or not, so nothing about other programs can be learned from errors.
 */
export async function matchInScope(db: Database, principal: Principal, matchId: string, permission: Permission) {
  requirePermission(principal, permission);
  const match = await db.match.findUnique({ where: { id: matchId }, select: { id: true, programId: true } });
  if (match && covers(principal, match.programId)) return match;
  if (principal.role === 'admin') throw new AppError('not_found', `No match with id "${matchId}".`);
  throw new AppError('forbidden', 'This API key does not cover that match (or there is no such match).');
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
  if (escalation && covers(principal, escalation.match.programId)) return escalation;
  if (principal.role === 'admin') throw new AppError('not_found', `No escalation with id "${escalationId}".`);
  throw new AppError('forbidden', 'This API key does not cover that escalation (or there is no such escalation).');
}

/** 403 unless the key covers the program (same answer whether the program exists or not). */
export async function programInScope(db: Database, principal: Principal, programId: string, permission: Permission) {
  requirePermission(principal, permission, principal.role === 'admin' ? undefined : programId);
  const program = await db.program.findUnique({
    where: { id: programId },
    select: { id: true, name: true, region: true },
  });
  if (!program) {
    if (principal.role === 'admin') throw new AppError('not_found', `No program with id "${programId}".`);
    throw new AppError('forbidden', 'This API key does not cover that program.');
  }
  return program;
}
