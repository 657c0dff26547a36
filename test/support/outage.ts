import { eventually } from './eventually';
import { jstSlot } from './instants';
import type { ReceivedEmail } from './smtp';
import type { DevStack } from './stack';

/** The template an email was rendered from. */
export const template = (e: ReceivedEmail) => String(e.mail.headers.get('x-bansou-template'));

const decode = (html: string) =>
  html.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!,
  );

/** The hidden fields of the form in a page (CSRF value, language; on the "not saved" page, everything typed). */
export function hiddenFields(html: string): Record<string, string> {
  return Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, decode(m[2]!)]),
  );
}

/** Posts a page's form as a browser does. */
export const postForm = (stack: DevStack, path: string, fields: Record<string, string>) =>
  fetch(`${stack.api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));

/**
 * The scene the outage tests set before a dependency goes: match A with check-in 1 open for its host (ja), match B
 * with kickoff slots proposed to its talent (en); each page's link and the fields of its form.
 */
export async function pagesAwaitingAnswers(stack: DevStack) {
  const a = await stack.createMatch();
  const { host } = await stack.openFirstCheckin(a.id);
  const checkinLink = stack.linkIn(host, 'checkins');
  const checkinForm = hiddenFields((await stack.api.request('GET', checkinLink)).text);
  const b = await stack.createMatch();
  const slot = { startsAt: jstSlot(Date.now(), 30, 10), durationMinutes: 60 };
  const proposed = await stack.api.request('POST', `/matches/${b.id}/kickoff/proposals`, { slots: [slot] });
  if (proposed.status !== 200) throw new Error(`kickoff/proposals: ${proposed.status} ${proposed.text}`);
  const [proposal] = await stack.smtp.waitFor(1, {
    filter: (e) => template(e) === 'kickoff-proposal' && e.to === b.talent.email,
  });
  const kickoffLink = stack.linkIn(proposal!, 'kickoff');
  await eventually(
    async () => (await stack.database.db.match.findUniqueOrThrow({ where: { id: b.id } })).kickoffStatus === 'proposed',
  );
  const kickoffForm = hiddenFields((await stack.api.request('GET', kickoffLink)).text);
  return { a, b, checkinLink, checkinForm, kickoffLink, kickoffForm };
}
