import { signLink, signedByAny, verifyingSecrets, verifyLink } from '../../activities/links';
import { csrfFor, csrfOk } from '../../api/pages/render';
import { csrfToken, csrfValid } from '../../api/workspace/sessions';

const OLD = 'old-signing-secret-0123456789abcdef0123456789';
const NEW = 'new-signing-secret-0123456789abcdef0123456789';
const claims = { kind: 'checkin', matchId: 'p:1', n: 1, respondent: 'host', expiresAt: Date.UTC(2027, 0, 1) } as const;
const before = Date.UTC(2026, 11, 1);

describe('SIGNING_SECRET and SIGNING_SECRET_PREVIOUS: the current one signs, either verifies', () => {
  const rotating = verifyingSecrets({ signingSecret: NEW, previousSigningSecret: OLD });
  const rotated = verifyingSecrets({ signingSecret: NEW });

  it('lists the current secret first, the previous one only when set', () => {
    expect(rotating).toEqual([NEW, OLD]);
    expect(rotated).toEqual([NEW]);
  });

  it('check-in and kickoff links: signed before the rotation, verified with the previous secret; forged without it', () => {
    const old = signLink(OLD, claims);
    expect(verifyLink(rotating, old, before)).toEqual({ ok: true, claims });
    expect(verifyLink(rotated, old, before)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyLink(rotating, signLink(NEW, claims), before)).toEqual({ ok: true, claims });
    expect(verifyLink(rotating, signLink('another-secret-0123456789abcdef0123', claims), before).ok).toBe(false);
  });

  it("the pages' and the workspace's CSRF values, and any value derived alike", () => {
    expect(csrfOk(rotating, 'token', csrfFor(OLD, 'token'))).toBe(true);
    expect(csrfOk(rotated, 'token', csrfFor(OLD, 'token'))).toBe(false);
    expect(csrfValid(rotating, 'session:abc', csrfToken(OLD, 'session:abc'))).toBe(true);
    expect(csrfValid(rotated, 'session:abc', csrfToken(OLD, 'session:abc'))).toBe(false);
    expect(csrfValid(rotating, 'session:other', csrfToken(OLD, 'session:abc'))).toBe(false);
    expect(signedByAny(rotating, (s) => `${s}!`, undefined)).toBe(false);
    expect(signedByAny(rotating, (s) => `${s}!`, `${OLD}!`)).toBe(true);
  });
});
