import type { Request, Response } from 'express';
import { verifyingSecrets, verifyLink, type LinkClaims, type LinkKind } from '../../activities/links';
import type { Locale, PlaybookSnapshot } from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import { playbookVersion } from '../services/playbooks';
import { browserLocale, renderMessage } from './render';

export type OpenedLink = {
  claims: LinkClaims;
  /** The respondent's language. */
  locale: Locale;
  title: string;
  programName: string;
  /** The playbook the match runs on (its time zone, its extra questions). */
  playbook: PlaybookSnapshot;
};

/**
 * Opens a signed link for a page: checks signature, kind and expiry and loads the match it is for. When the link is
 * unusable it answers the request itself (404 in the browser's language; 410 in the respondent's once expired) and
 * returns null, saying nothing about any match.
 */
export async function openLink(deps: ApiDeps, req: Request, res: Response, kind: LinkKind): Promise<OpenedLink | null> {
  const link = verifyLink(verifyingSecrets(deps.links), String(req.params.token), Date.now());
  const claims = link.claims;
  const invalid = () => {
    renderMessage(res, 404, browserLocale(req), { title: (t) => t.invalidTitle, body: (t) => t.invalidBody });
    return null;
  };
  if (!claims || claims.kind !== kind || (!link.ok && link.reason !== 'expired')) return invalid();
  const match = await deps.db.match.findUnique({
    where: { id: claims.matchId },
    select: {
      title: true,
      programId: true,
      playbookVersion: true,
      program: { select: { name: true } },
      host: { select: { locale: true } },
      talent: { select: { locale: true } },
    },
  });
  if (!match) return invalid();
  const locale: Locale = match[claims.respondent].locale === 'en' ? 'en' : 'ja';
  if (!link.ok) {
    renderMessage(
      res,
      410,
      locale,
      { title: (t) => t.expiredTitle, body: (t) => (kind === 'kickoff' ? t.kickoffExpiredBody : t.expiredBody) },
      { programName: match.program.name },
    );
    return null;
  }
  return {
    claims,
    locale,
    title: match.title,
    programName: match.program.name,
    playbook: await playbookVersion(deps.db, match.programId, match.playbookVersion),
  };
}
