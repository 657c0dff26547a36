import { createApp } from '../../api/app';
import { captureLog } from '../support/logs';
import { serve } from '../support/http';
import {
  COMPLETE_CHECKIN_FORM,
  createDevStack,
  postCheckinForm,
  SIGNING_SECRET,
  type DevStack,
} from '../support/stack';

const NEW_SECRET = 'rotated-signing-secret-0123456789abcdef0123456789';

describe('SIGNING_SECRET rotated with SIGNING_SECRET_PREVIOUS: links already emailed still open (real API, worker, SMTP)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await createDevStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a check-in link and its form from before the rotation open and save after it; not once the previous secret is gone', async () => {
    const match = await stack.createMatch();
    const { host } = await stack.openFirstCheckin(match.id);
    // Emailed before the rotation: signed by the worker with the secret of then.
    const link = stack.linkIn(host, 'checkins');
    const token = link.split('/').pop()!;
    expect((await stack.api.request('GET', link)).status).toBe(200);

    const captured = captureLog('api');
    const apiWith = (links: { signingSecret: string; previousSigningSecret?: string }) =>
      serve(createApp({ ...stack.deps, links: { ...stack.deps.links, ...links }, log: captured.log }));
    const rotated = await apiWith({ signingSecret: NEW_SECRET, previousSigningSecret: SIGNING_SECRET });
    const done = await apiWith({ signingSecret: NEW_SECRET });
    try {
      const page = await rotated.request('GET', link);
      expect(page.status).toBe(200);
      expect(page.text).toContain('チェックイン（第1回）');
      // The form rendered after the rotation carries a CSRF value made with the new secret only.
      expect(page.text).not.toContain(
        /name="csrf" value="([^"]+)"/.exec((await stack.api.request('GET', link)).text)![1],
      );
      // A form opened before the rotation (its CSRF value made with the previous secret) is taken.
      const saved = await postCheckinForm(stack, link, COMPLETE_CHECKIN_FORM, {}, rotated.url);
      expect([saved.status, saved.text.includes('ご回答ありがとうございました')]).toEqual([200, true]);
      await expect(stack.database.db.checkinAnswer.count({ where: { matchId: match.id } })).resolves.toBe(1);

      // The previous secret removed: the old link is the friendly "not valid" page, and its old form is refused.
      const gone = await done.request('GET', link);
      expect([gone.status, gone.text.includes('このリンクは無効です')]).toEqual([404, true]);
      expect((await postCheckinForm(stack, link, COMPLETE_CHECKIN_FORM, {}, done.url)).status).toBe(404);
    } finally {
      await Promise.all([rotated.close(), done.close()]);
    }
    // Neither the token nor a secret is in what the API logged.
    const logged = captured.raw.join('\n');
    expect(captured.raw.length).toBeGreaterThan(0);
    for (const secret of [token, token.split('.')[1]!, SIGNING_SECRET, NEW_SECRET])
      expect(logged).not.toContain(secret);
  }, 90_000);
});
