import { createHash } from 'node:crypto';
import { createApp } from '../../api/app';
import { RETRY_AFTER_SECONDS } from '../../api/errors';
import { createSignInLink, SESSION_POLICY } from '../../api/workspace/sessions';
import { lazyClient, temporalSettings } from '../../temporal/connection';
import { eventually } from '../support/eventually';
import { freePort, serve } from '../support/http';
import { createDevStack, type DevStack } from '../support/stack';
import { csrfIn, signedInClient, WebClient } from '../support/web-client';

/**
 * Signing in to the workspace: the email link, the session it starts, and the ways a session ends. The sign-in email
 * comes through the outbox to a real SMTP listener; everything else is HTTP against the real API.
 */
describe('workspace sign-in and sessions', () => {
  let stack: DevStack;
  let coordinator: string;
  const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

  beforeAll(async () => {
    stack = await createDevStack();
    coordinator = (await stack.createMatch()).coordinator.email;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Asks for a link as a person would, and returns the page's text. */
  async function requestLink(client: WebClient, email: string) {
    const form = await client.get('/workspace/sign-in');
    return client.post('/workspace/sign-in', { csrf: csrfIn(form.text), email });
  }

  const linkIn = (text: string) => {
    const found = /\/workspace\/sign-in\/([A-Za-z0-9_-]{43})/.exec(text);
    if (!found) throw new Error('no sign-in link in the email');
    return found[1]!;
  };

  it('emails a one-time link through the outbox; a known and an unknown address get the same page', async () => {
    const client = new WebClient(stack.api.url);
    const known = await requestLink(client, coordinator.toUpperCase());
    const unknown = await requestLink(client, 'nobody-here@example.jp');
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    const strip = (html: string) => html.replace(/[\w.+-]+@[\w.-]+/g, '@').replace(/name="csrf" value="[^"]+"/g, '');
    expect(strip(known.text)).toEqual(strip(unknown.text));

    // The coordinator also gets the match's opening email, whenever its workflow sends it: wait for the sign-in.
    const [email] = await stack.smtp.waitFor(1, {
      filter: (e) => e.to === coordinator && e.subject.includes('サインイン'),
    });
    expect(email!.subject).toBe('【bansou】ワークスペースへのサインイン');
    const token = linkIn(email!.mail.text ?? '');
    // Only the hash is stored; the email went through the outbox with its own Message-ID.
    const row = await stack.database.db.signInLink.findFirstOrThrow({ where: { email: coordinator } });
    expect(row.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const outbox = await eventually(() =>
      stack.database.db.email.findFirst({ where: { idempotencyKey: `sign-in:${row.id}`, status: 'sent' } }),
    );
    expect(outbox).toMatchObject({ template: 'sign-in', to: coordinator });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(SESSION_POLICY.LINK_MINUTES * 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.smtp.received.filter((e) => e.to === 'nobody-here@example.jp')).toEqual([]);

    // Opening the link signs nobody in (mail scanners open links); the button does, once.
    const browser = new WebClient(stack.api.url);
    const page = await browser.get(`/workspace/sign-in/${token}`);
    expect(page.status).toBe(200);
    expect((await browser.get('/workspace')).location).toBe('/workspace/sign-in');
    const signedIn = await browser.post(`/workspace/sign-in/${token}`, { csrf: csrfIn(page.text) });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/workspace');
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('bansou_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // http://127.0.0.1: a Secure cookie would never come back
    const today = await browser.get('/workspace');
    expect(today.status).toBe(200);
    expect(today.text).toContain('今日やること');

    // Used: the same link again, on the page and on the button, in any browser.
    const again = new WebClient(stack.api.url);
    const reopened = await again.get(`/workspace/sign-in/${token}`);
    expect(reopened.status).toBe(410);
    expect(reopened.text).toContain('このリンクは使用済みです');
    const replay = await again.post(`/workspace/sign-in/${token}`, {
      csrf: csrfIn((await again.get('/workspace/sign-in')).text),
    });
    expect(replay.status).toBe(410);
    expect((await again.get('/workspace')).status).toBe(303);
  });

  it('refuses an expired link, a forged one and a link for someone bansou gives no role', async () => {
    const client = new WebClient(stack.api.url);
    const someone = (await stack.createMatch()).coordinator.email;
    await requestLink(client, someone);
    const [email] = await stack.smtp.waitFor(1, { filter: (e) => e.to === someone && e.subject.includes('bansou') });
    const token = linkIn(email!.mail.text ?? '');
    await stack.database.db.signInLink.update({
      where: { tokenHash: sha256(token) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const page = await client.get(`/workspace/sign-in/${token}`);
    expect(page.status).toBe(410);
    expect(page.text).toContain('有効期限が切れています');
    const post = await client.post(`/workspace/sign-in/${token}`, {
      csrf: csrfIn((await client.get('/workspace/sign-in')).text),
    });
    expect(post.status).toBe(410);
    expect((await client.get('/workspace')).status).toBe(303);

    const forged = await client.get(`/workspace/sign-in/${'A'.repeat(43)}`);
    expect(forged.status).toBe(404);
    const stranger = await signedInClient(stack, 'stranger@example.jp').catch((e: Error) => e);
    // The link works, but a person without a role is not signed in to anything.
    expect(stranger).not.toBeInstanceOf(Error);
    expect((await (stranger as WebClient).get('/workspace')).location).toBe('/workspace/sign-in');
  });

  it('makes a new session id at sign-in and revokes the one the browser came with (no fixation)', async () => {
    // An attacker's own, valid session, planted in the victim's browser.
    const attacker = await signedInClient(stack, coordinator);
    const planted = attacker.cookies.get('bansou_session')!;
    const victim = new WebClient(stack.api.url);
    victim.cookies.set('bansou_session', planted);
    const token = await createSignInLink(stack.deps, coordinator);
    const page = await victim.get(`/workspace/sign-in/${token}`);
    await victim.post(`/workspace/sign-in/${token}`, { csrf: csrfIn(page.text) });
    const fresh = victim.cookies.get('bansou_session')!;
    expect(fresh).not.toBe(planted);
    expect((await victim.get('/workspace')).status).toBe(200);
    // The planted id is dead for everyone.
    expect((await attacker.get('/workspace')).location).toBe('/workspace/sign-in');
    // A made-up id never becomes a session either.
    const guesser = new WebClient(stack.api.url);
    guesser.cookies.set('bansou_session', 'x'.repeat(43));
    expect((await guesser.get('/workspace')).location).toBe('/workspace/sign-in');
    const stored = await stack.database.db.webSession.findMany({ where: { email: coordinator } });
    expect(stored.map((s) => s.idHash)).not.toContain('x'.repeat(43));
    expect(JSON.stringify(stored)).not.toContain(fresh);
  });

  it('sign-out ends the session on the server: the old cookie no longer works', async () => {
    const client = await signedInClient(stack, coordinator);
    const cookie = client.cookies.get('bansou_session')!;
    const out = await client.submit('/workspace', '/workspace/sign-out');
    expect(out.status).toBe(303);
    expect(out.location).toBe('/workspace/sign-in?signedOut=1');
    expect(client.cookies.has('bansou_session')).toBe(false);
    const replay = new WebClient(stack.api.url);
    replay.cookies.set('bansou_session', cookie);
    expect((await replay.get('/workspace')).location).toBe('/workspace/sign-in');
    const row = await stack.database.db.webSession.findUniqueOrThrow({ where: { idHash: sha256(cookie) } });
    expect(row.revokedAt).not.toBeNull();
  });

  it('a session ends after its idle time and at its absolute end', async () => {
    const idle = await signedInClient(stack, coordinator);
    await stack.database.db.webSession.update({
      where: { idHash: sha256(idle.cookies.get('bansou_session')!) },
      data: { lastSeenAt: new Date(Date.now() - SESSION_POLICY.IDLE_MS - 1000) },
    });
    expect((await idle.get('/workspace')).location).toBe('/workspace/sign-in');

    const old = await signedInClient(stack, coordinator);
    await stack.database.db.webSession.update({
      where: { idHash: sha256(old.cookies.get('bansou_session')!) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await old.get('/workspace')).location).toBe('/workspace/sign-in');

    // In use, a session stays: lastSeenAt moves on.
    const active = await signedInClient(stack, coordinator);
    const idHash = sha256(active.cookies.get('bansou_session')!);
    await stack.database.db.webSession.update({
      where: { idHash },
      data: { lastSeenAt: new Date(Date.now() - SESSION_POLICY.IDLE_MS + 60_000) },
    });
    expect((await active.get('/workspace')).status).toBe(200);
    const touched = await stack.database.db.webSession.findUniqueOrThrow({ where: { idHash } });
    expect(Date.now() - touched.lastSeenAt.getTime()).toBeLessThan(10_000);
  });

  it('limits sign-in emails per address and sign-in requests per client', async () => {
    const address = (await stack.createMatch()).coordinator.email;
    const client = new WebClient(stack.api.url);
    for (let i = 0; i < SESSION_POLICY.LINKS_PER_EMAIL + 2; i++) {
      expect((await requestLink(client, address)).status).toBe(200);
    }
    await eventually(
      async () =>
        (await stack.database.db.signInLink.count({ where: { email: address } })) === SESSION_POLICY.LINKS_PER_EMAIL,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await stack.database.db.signInLink.count({ where: { email: address } })).toBe(
      SESSION_POLICY.LINKS_PER_EMAIL,
    );

    const limited = await serve(createApp({ ...stack.deps, signInRateLimit: 2 }));
    try {
      const browser = new WebClient(limited.url);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await requestLink(browser, `x${i}@example.jp`)).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('while Temporal cannot be reached, says at once that no link was sent, the same for a known and an unknown address', async () => {
    const address = (await stack.createMatch()).coordinator.email;
    // The API with a Temporal that does not answer (nothing listens at its address); the same database.
    // (The client stays open: a call given up at its deadline may still sleep in the client's retries.)
    const nowhere = lazyClient(
      temporalSettings({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, TASK_QUEUE: stack.deps.taskQueue }),
    );
    const down = await serve(createApp({ ...stack.deps, temporal: nowhere }));
    try {
      const browser = new WebClient(down.url);
      const known = await requestLink(browser, address);
      const unknown = await requestLink(browser, 'nobody-here@example.jp');
      for (const page of [known, unknown]) {
        expect([page.status, page.headers.get('retry-after')]).toEqual([503, String(RETRY_AFTER_SECONDS)]);
        expect(page.text).toContain('サインイン用のリンクを送れませんでした');
      }
      // What was typed stays in the form, to send again.
      expect(known.text).toContain(`value="${address}"`);
      const strip = (html: string) => html.replace(/[\w.+-]+@[\w.-]+/g, '@').replace(/name="csrf" value="[^"]+"/g, '');
      expect(strip(known.text)).toEqual(strip(unknown.text));
      // No link was made that nobody will receive.
      await new Promise((r) => setTimeout(r, 500));
      expect(await stack.database.db.signInLink.count({ where: { email: address } })).toBe(0);
    } finally {
      await down.close();
    }
    // With Temporal there, the same address gets its email.
    expect((await requestLink(new WebClient(stack.api.url), address)).status).toBe(200);
    await stack.smtp.waitFor(1, { filter: (e) => e.to === address && e.subject.includes('サインイン') });
  });

  it('refuses a form without its CSRF value, with another browser’s, or posted from another site', async () => {
    const client = await signedInClient(stack, coordinator);
    const other = await signedInClient(stack, coordinator);
    const csrf = csrfIn((await client.get('/workspace')).text);
    const foreign = csrfIn((await other.get('/workspace')).text);
    expect((await client.post('/workspace/sign-out', {})).status).toBe(403);
    expect((await client.post('/workspace/sign-out', { csrf: foreign })).status).toBe(403);
    expect((await client.post('/workspace/sign-out', { csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await client.get('/workspace')).status).toBe(200); // still signed in
    // The sign-in form too: its value is bound to a cookie of the browser it was shown to.
    const anonymous = new WebClient(stack.api.url);
    expect((await anonymous.post('/workspace/sign-in', { email: coordinator })).status).toBe(403);
  });

  it('behind https, both cookies are Secure, host-only and named __Host- (path /, no Domain)', async () => {
    // The API as deployed behind a TLS proxy: only its public base URL says https (this listener is plain HTTP).
    const deps = { ...stack.deps, links: { ...stack.deps.links, publicBaseUrl: 'https://workspace.example.jp' } };
    const behindTls = await serve(createApp(deps));
    try {
      const client = new WebClient(behindTls.url);
      const token = await createSignInLink(deps, coordinator);
      const page = await client.get(`/workspace/sign-in/${token}`);
      const formCookie = page.headers.getSetCookie().find((c) => c.includes('bansou_form='))!;
      const signedIn = await client.post(`/workspace/sign-in/${token}`, { csrf: csrfIn(page.text) });
      expect([signedIn.status, signedIn.location]).toEqual([303, '/workspace']);
      const sessionCookie = signedIn.headers.getSetCookie().find((c) => c.includes('bansou_session='))!;
      for (const [cookie, name] of [
        [formCookie, '__Host-bansou_form'],
        [sessionCookie, '__Host-bansou_session'],
      ] as const) {
        expect(cookie.split('=')[0]).toBe(name);
        const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
        expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
        expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);
      }
      // The prefixed cookie is the one the API reads back.
      expect((await client.get('/workspace')).status).toBe(200);
      expect([...client.cookies.keys()].sort()).toEqual(['__Host-bansou_form', '__Host-bansou_session']);
    } finally {
      await behindTls.close();
    }
  });
});
