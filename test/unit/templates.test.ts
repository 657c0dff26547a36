import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { headerText, renderEmail, type RenderedEmail } from '../../activities/mail/render';
import type { Locale } from '../../workflows/shared';

/**
 * Renders every email template in both languages with realistic data (the shape `sendEmail` passes: the template's
 * data, `match`, `recipient`, `role` and the signed `links`) and checks what can go wrong without a snapshot.
 */

const TEMPLATE_DIR = path.join(__dirname, '../../activities/mail/templates');
const LOCALES: Locale[] = ['ja', 'en'];
const PARTS = ['txt', 'html'] as const;

/** Template names found on disk: `<name>.txt.eta` / `<name>.html.eta` in any locale directory. */
function templateNames(): string[] {
  const names = new Set<string>();
  for (const locale of LOCALES) {
    for (const file of readdirSync(path.join(TEMPLATE_DIR, locale))) {
      const found = /^(.+)\.(txt|html)\.eta$/.exec(file);
      if (found?.[1]) names.add(found[1]);
    }
  }
  return [...names].sort();
}

type Role = 'host' | 'talent' | 'coordinator' | 'program_manager';
type Person = { name: string; email: string; organization?: string };
type Links = {
  base: string;
  checkin?: string;
  kickoff?: string;
  signIn?: string;
  oneClick?: { value: number; url: string }[];
};

const PROGRAM = 'ふるさと兼業 長野';
const TITLE = 'EC 販路開拓 & 新商品 <試作>';
const host: Person = { name: '山田 花子', email: 'hanako@yamada-foods.example', organization: '山田食品株式会社' };
const talent: Person = { name: 'Alex Tanaka', email: 'alex.tanaka@mail.example' };
const coordinator: Person = { name: '鈴木 一郎', email: 'suzuki@npo-nagano.example' };
const programManager: Person = { name: '佐藤 美咲', email: 'sato@pref-nagano.example' };
const people: Record<Role, Person> = { host, talent, coordinator, program_manager: programManager };

const match = {
  id: 'furusato-2026-014',
  programId: 'furusato-nagano',
  programName: PROGRAM,
  title: TITLE,
  startDate: '2026-12-01',
  endDate: '2027-05-31',
  host,
  talent,
  coordinator,
  programManagers: [programManager],
};

const BASE = 'https://bansou.example.org';
const CHECKIN = `${BASE}/checkins/Y2hlY2tpbn5mdXJ1c2F0by0yMDI2LTAxNH4yfmg.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c`;
const KICKOFF = `${BASE}/kickoff/a2lja29mZn5mdXJ1c2F0by0yMDI2LTAxNH4xfnQ.z9x8c7v6b5n4m3l2k1j0h9g8f7d6s5a4p3o2i1u0y9t`;
const LOCATION = 'https://meet.example.com/abc-defg-hij';
const checkinLinks: Links = {
  base: BASE,
  checkin: CHECKIN,
  oneClick: [1, 2, 3, 4, 5].map((value) => ({ value, url: `${CHECKIN}?satisfaction=${value}` })),
};
const kickoffLinks: Links = { base: BASE, kickoff: KICKOFF };

// Instants whose Tokyo wall-clock time is distinctive, so a test can tell it was shown in the right zone.
const SLOT_1 = '2026-12-08T01:30:00Z'; // 10:30 JST
const SLOT_2 = '2026-12-09T05:15:00Z'; // 14:15 JST
const CLOSE_AT = '2026-12-21T09:59:00Z'; // 18:59 JST
const ESCALATION_DUE = '2026-12-10T08:20:00Z'; // 17:20 JST
const TASK_DUE = '2027-03-08T06:45:00Z'; // 15:45 JST

const kickoff = { startsAt: SLOT_1, durationMinutes: 60, location: LOCATION, sequence: 1 };
const escalation = {
  id: 'furusato-2026-014-esc-17',
  type: 'priority_gap',
  severity: 'high',
  reasons: ['host rates priority 2, talent 5 (3 apart)', 'low scores: host priority 2'],
  evidence: {},
  dueAt: ESCALATION_DUE,
  level: 1,
};
const documents = [
  { type: 'outsourcing_contract', label: { ja: '業務委託契約書', en: 'Outsourcing contract' }, status: 'missing' },
  {
    type: 'nda',
    label: { ja: '秘密保持契約書（NDA）', en: 'Non-disclosure agreement (NDA)' },
    status: 'rejected',
    reason: 'Signature page missing',
  },
];
const task = {
  id: 'furusato-2026-014-task-5',
  key: 'midpoint_review',
  label: { ja: '中間振り返り', en: 'Mid-point review' },
  openAt: '2027-03-01T00:00:00Z',
  dueAt: TASK_DUE,
};
const digestItems = (locale: Locale) => [
  {
    matchId: 'furusato-2026-020',
    matchTitle: '観光 DX 推進',
    kind: 'checkin',
    label: locale === 'ja' ? 'チェックイン第3回の締切' : 'Check-in 3 closes',
    dueAt: '2026-12-11T09:00:00Z',
    overdue: false,
  },
  {
    matchId: match.id,
    matchTitle: TITLE,
    kind: 'escalation',
    label: locale === 'ja' ? '優先度の認識のずれ' : 'Priority gap',
    dueAt: '2026-12-08T02:00:00Z',
    overdue: true,
  },
  {
    matchId: match.id,
    matchTitle: TITLE,
    kind: 'task',
    label: locale === 'ja' ? '中間振り返り' : 'Mid-point review',
    overdue: false,
  },
  {
    matchId: 'furusato-2026-020',
    matchTitle: '観光 DX 推進',
    kind: 'kickoff',
    label: locale === 'ja' ? 'キックオフミーティング' : 'Kickoff meeting',
    dueAt: '2026-12-09T04:00:00Z',
    overdue: false,
  },
  {
    matchId: 'furusato-2026-031',
    matchTitle: '採用広報の立ち上げ',
    kind: 'task',
    label: locale === 'ja' ? '結果の記録' : 'Record the outcome',
    dueAt: '2026-12-04T02:00:00Z',
    overdue: true,
  },
];

type Sample = {
  /** What this sample shows, in the test name. */
  variant: string;
  role: Role;
  data: (locale: Locale) => Record<string, unknown>;
  links?: Links;
};

const toHostAndTalent = (variant: string, data: Sample['data'], links?: Links): Sample[] =>
  (['host', 'talent'] as const).map((role) => ({ variant: `${variant}, to the ${role}`, role, data, links }));
const toAllThree = (variant: string, data: Sample['data']): Sample[] =>
  (['host', 'talent', 'coordinator'] as const).map((role) => ({ variant: `${variant}, to the ${role}`, role, data }));

/** Sample data for every template: a template added to the directory must be added here too. */
const SAMPLES: Record<string, Sample[]> = {
  'match-opened': [
    ...toAllThree('opened', () => ({})),
    { variant: 'handover to a new coordinator', role: 'coordinator', data: () => ({ handover: true }) },
  ],
  'kickoff-proposal': [
    ...toHostAndTalent(
      'first proposal',
      () => ({
        slots: [
          { startsAt: SLOT_1, durationMinutes: 60 },
          { startsAt: SLOT_2, durationMinutes: 90 },
        ],
        location: LOCATION,
        proposal: 1,
      }),
      kickoffLinks,
    ),
    {
      variant: 'second proposal without a location',
      role: 'host',
      data: () => ({ slots: [{ startsAt: SLOT_2, durationMinutes: 90 }], proposal: 2 }),
      links: kickoffLinks,
    },
  ],
  'kickoff-confirmed': toAllThree('confirmed', () => ({ kickoff })),
  'kickoff-changed': [
    ...toAllThree('moved', () => ({ kickoff: { ...kickoff, sequence: 2 } })),
    {
      variant: 'moved, no location yet',
      role: 'talent',
      data: () => ({ kickoff: { startsAt: SLOT_1, durationMinutes: 60, sequence: 3 } }),
    },
  ],
  'kickoff-cancelled': [
    ...toAllThree('cancelled', () => ({
      kickoff: { ...kickoff, sequence: 2 },
      reason: 'The host has a scheduling conflict',
    })),
    { variant: 'nothing was scheduled, no reason', role: 'host', data: () => ({ kickoff: undefined, reason: '' }) },
  ],
  'kickoff-reminder': toAllThree('tomorrow', () => ({ kickoff })),
  'checkin-request': toHostAndTalent('round 2', () => ({ round: 2, closeAt: CLOSE_AT, kind: 'regular' }), checkinLinks),
  'checkin-reminder': [
    ...toHostAndTalent('round 2', () => ({ round: 2, closeAt: CLOSE_AT, kind: 'regular' }), checkinLinks),
    {
      variant: 'final round',
      role: 'talent',
      data: () => ({ round: 9, closeAt: CLOSE_AT, kind: 'final' }),
      links: checkinLinks,
    },
  ],
  'closeout-survey': toHostAndTalent('final', () => ({ round: 9, closeAt: CLOSE_AT, kind: 'final' }), checkinLinks),
  'contract-reminder': [
    { variant: 'before the due date', role: 'host', data: () => ({ documents, dueAt: SLOT_1, overdue: false }) },
    { variant: 'overdue', role: 'host', data: () => ({ documents, dueAt: SLOT_1, overdue: true }) },
  ],
  escalation: [
    { variant: 'opened', role: 'coordinator', data: () => ({ escalation }) },
    { variant: 'reopened after a snooze', role: 'coordinator', data: () => ({ escalation, reopened: true }) },
    {
      variant: 'an unknown type, already raised',
      role: 'coordinator',
      data: () => ({ escalation: { ...escalation, type: 'something_new', severity: 'low', level: 2 } }),
    },
  ],
  'escalation-raised': [
    {
      variant: 'to a program manager',
      role: 'program_manager',
      data: () => ({ escalation: { ...escalation, level: 2 }, coordinator }),
    },
  ],
  'task-reminder': [
    { variant: 'opened', role: 'coordinator', data: () => ({ task, overdue: false }) },
    { variant: 'overdue', role: 'coordinator', data: () => ({ task, overdue: true }) },
  ],
  'delivery-problem': [
    {
      variant: "the host's mailbox stayed full",
      role: 'coordinator',
      data: () => ({
        problem: {
          template: 'checkin-request',
          role: 'host',
          name: host.name,
          to: host.email,
          error: '452 4.2.2 Mailbox full',
          tries: 8,
          at: TASK_DUE,
        },
      }),
    },
    {
      variant: "the coordinator's address refused, to a program manager",
      role: 'program_manager',
      data: () => ({
        problem: {
          template: 'something-new',
          role: 'coordinator',
          name: coordinator.name,
          to: coordinator.email,
          error: '550 5.1.1 User unknown',
          tries: 1,
          at: TASK_DUE,
        },
      }),
    },
  ],
  'coordinator-digest': [
    {
      variant: 'a busy week',
      role: 'coordinator',
      data: (locale) => ({ coordinator: { name: coordinator.name }, weekOf: '2026-12-07', items: digestItems(locale) }),
    },
    {
      variant: 'a quiet week',
      role: 'coordinator',
      data: () => ({ coordinator: { name: coordinator.name }, weekOf: '2026-12-07', items: [] }),
    },
  ],
  'sign-in': [
    {
      variant: 'a coordinator signs in',
      role: 'coordinator',
      data: () => ({ validMinutes: 15 }),
      links: { base: BASE, signIn: `${BASE}/workspace/sign-in/q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c` },
    },
  ],
};

const EXPECTED_TEMPLATES = [
  'match-opened',
  'kickoff-proposal',
  'kickoff-confirmed',
  'kickoff-changed',
  'kickoff-cancelled',
  'kickoff-reminder',
  'checkin-request',
  'checkin-reminder',
  'closeout-survey',
  'contract-reminder',
  'escalation',
  'escalation-raised',
  'task-reminder',
  'coordinator-digest',
  'delivery-problem',
  'sign-in',
];

function render(name: string, sample: Sample, locale: Locale): RenderedEmail {
  const person = people[sample.role];
  return renderEmail(name, locale, {
    match,
    ...sample.data(locale),
    recipient: { name: person.name, email: person.email, locale },
    role: sample.role,
    links: sample.links ?? { base: BASE },
  });
}

/** The signed links a sample passes (what the template must show), in order. */
const linkUrls = (links: Links | undefined): string[] =>
  links
    ? [links.checkin, links.kickoff, links.signIn, ...(links.oneClick ?? []).map((o) => o.url)].filter(
        (u): u is string => u !== undefined,
      )
    : [];

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Every string in the sample data (names, titles, labels…), longest first. */
function dataStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) dataStrings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) dataStrings(v, out);
  return out.sort((a, b) => b.length - a.length);
}

/** The output with the sample's own data removed: what is left is the template's wording. */
function templateWording(output: string, sample: Sample, locale: Locale): string {
  let rest = output;
  for (const s of dataStrings({ match, people, data: sample.data(locale) })) {
    rest = rest.split(s).join(' ').split(escapeHtml(s)).join(' ');
  }
  return rest;
}

/** Kana, kanji, and Japanese punctuation and brackets (【】「」（）、。〜 …). */
const JAPANESE = /[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]/;
const LEAKS = /\bundefined\b|\bnull\b|\[object Object\]|\bNaN\b|Invalid Date/;

const names = templateNames();
const cases = names.flatMap((name) =>
  LOCALES.flatMap((locale) => (SAMPLES[name] ?? []).map((sample) => ({ name, locale, sample }))),
);

describe('email templates on disk', () => {
  it('include every message the workflow sends', () => {
    expect(names).toEqual(expect.arrayContaining(EXPECTED_TEMPLATES));
  });

  it.each(names)('%s has a text and an HTML part in both languages', (name) => {
    for (const locale of LOCALES) {
      for (const part of PARTS) expect(existsSync(path.join(TEMPLATE_DIR, locale, `${name}.${part}.eta`))).toBe(true);
    }
  });

  it('each have sample data in this test', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(names);
  });
});

describe.each(cases)('$name ($locale): $sample.variant', ({ name, locale, sample }) => {
  const links = linkUrls(sample.links);
  let email: RenderedEmail;
  beforeAll(() => {
    email = render(name, sample, locale);
  });

  it('has a one-line subject naming the program and, for one match, the project', () => {
    expect(email.subject.trim()).not.toBe('');
    expect(email.subject).not.toMatch(/[\r\n]/);
    // The sign-in email is about no program: it names bansou.
    const brand = name === 'sign-in' ? 'bansou' : PROGRAM;
    expect(email.subject.startsWith(locale === 'ja' ? `【${brand}】` : `[${brand}]`)).toBe(true);
    if (name !== 'coordinator-digest' && name !== 'sign-in') expect(email.subject).toContain(TITLE);
  });

  it('is written in the recipient’s language', () => {
    if (locale === 'ja') {
      expect(templateWording(email.subject, sample, locale)).toMatch(JAPANESE);
      expect(templateWording(email.text, sample, locale)).toMatch(JAPANESE);
    } else {
      expect(templateWording(email.subject, sample, locale)).not.toMatch(JAPANESE);
      expect(templateWording(email.text, sample, locale)).not.toMatch(JAPANESE);
      expect(templateWording(email.html, sample, locale)).not.toMatch(JAPANESE);
    }
  });

  it('leaks no undefined, null, [object Object] or NaN', () => {
    for (const part of [email.subject, email.text, email.html]) expect(part).not.toMatch(LEAKS);
  });

  it('shows every signed link in the text part and as a link in the HTML', () => {
    for (const url of links) {
      expect(email.text).toContain(url);
      expect(email.html).toContain(`href="${escapeHtml(url)}"`);
    }
  });

  it('keeps the HTML self-contained: no images, scripts or external CSS, no other web addresses', () => {
    expect(email.html).not.toMatch(/<img\b|<script\b|<link\b|url\(/i);
    const allowed = new Set([...links, LOCATION]);
    for (const url of email.html.match(/https?:\/\/[^\s"'<>]+/g) ?? []) expect(allowed).toContain(url);
    for (const anchor of email.html.match(/<a\b[^>]*>/g) ?? []) expect(anchor).toMatch(/href="(https?:\/\/|mailto:)/);
  });

  it('escapes data in the HTML and leaves the text part unescaped', () => {
    expect(email.html).not.toContain(TITLE);
    expect(email.text).not.toContain(escapeHtml(TITLE));
    expect(email.text).not.toMatch(/<\/?(p|a|br|strong|table|td|div|span)\b/);
    if (email.text.includes(TITLE)) expect(email.html).toContain(escapeHtml(TITLE));
  });

  if (sample.role === 'host' || sample.role === 'talent') {
    it('addresses host and talent politely and never shows the other side’s email address', () => {
      const firstLine = email.text.split('\n')[0];
      expect(firstLine).toBe(locale === 'ja' ? `${people[sample.role].name} 様` : `Dear ${people[sample.role].name},`);
      const other = sample.role === 'host' ? talent : host;
      for (const part of [email.text, email.html]) expect(part).not.toContain(other.email);
    });
  }
});

/** Renders one sample of a template (the first, or the one whose variant starts with `variant`). */
function one(name: string, locale: Locale, variant = ''): RenderedEmail {
  const sample = (SAMPLES[name] ?? []).find((s) => s.variant.startsWith(variant));
  if (!sample) throw new Error(`no sample ${name} / ${variant}`);
  return render(name, sample, locale);
}

describe('what each message says', () => {
  it('match-opened: the handover variant tells the new coordinator the open work is theirs', () => {
    const ja = one('match-opened', 'ja', 'handover');
    expect(ja.subject).toContain('引き継');
    expect(ja.text).toContain('未完了のタスクと対応中のエスカレーション');
    expect(ja.text.split('\n')[0]).toBe(`${coordinator.name} さん`);
    const en = one('match-opened', 'en', 'handover');
    expect(en.subject).toContain('You are now the coordinator');
    expect(en.text).toContain('open tasks and escalations');
    expect(en.text).toContain(match.id);
    // The ordinary opening is unchanged.
    expect(one('match-opened', 'ja', 'opened, to the host').subject).toBe(
      `【${PROGRAM}】「${TITLE}」の伴走支援を開始しました`,
    );
    expect(one('match-opened', 'en', 'opened, to the coordinator').text).not.toContain('You are now the coordinator');
  });

  it('kickoff-proposal lists each slot in Tokyo time with its length, and the location', () => {
    for (const locale of LOCALES) {
      const email = one('kickoff-proposal', locale);
      for (const part of [email.text, email.html]) {
        expect(part).toContain('10:30');
        expect(part).toContain('14:15');
        expect(part).toMatch(/90\s?(分|minutes)/);
      }
      expect(email.html).toContain(`href="${LOCATION}"`);
      expect(email.text.indexOf('10:30')).toBeLessThan(email.text.indexOf('14:15'));
    }
    expect(one('kickoff-proposal', 'ja', 'second').subject).toContain('再提案');
    expect(one('kickoff-proposal', 'en', 'second').subject).toContain('New kickoff slots');
  });

  it('kickoff confirmed, changed and cancelled say what is attached', () => {
    for (const name of ['kickoff-confirmed', 'kickoff-changed', 'kickoff-cancelled']) {
      expect(one(name, 'ja').text).toContain('添付');
      expect(one(name, 'en').text).toMatch(/attached/);
    }
    expect(one('kickoff-confirmed', 'en').text).toContain('calendar invite');
    expect(one('kickoff-changed', 'en').text).toContain('updated calendar invite');
    for (const name of ['kickoff-confirmed', 'kickoff-changed', 'kickoff-reminder']) {
      for (const locale of LOCALES) expect(one(name, locale).text).toMatch(/10:30[\s\S]*60\s?(分|minutes)/);
    }
  });

  it('kickoff-cancelled gives the reason and who proposes new slots', () => {
    const ja = one('kickoff-cancelled', 'ja');
    expect(ja.text).toContain('The host has a scheduling conflict');
    expect(ja.text).toContain('10:30');
    expect(ja.text).toContain('コーディネーターからご提案します');
    const en = one('kickoff-cancelled', 'en', 'cancelled, to the coordinator');
    expect(en.text).toContain('Please propose new slots');
    expect(one('kickoff-cancelled', 'en', 'nothing').text).not.toContain('Reason');
  });

  it('check-ins offer the one-click scale 1 to 5 with the end labels, explain it, and keep answers private', () => {
    for (const name of ['checkin-request', 'checkin-reminder', 'closeout-survey']) {
      const ja = one(name, 'ja');
      const en = one(name, 'en');
      expect(ja.text).toContain('プロジェクトの全体的な満足度は？');
      expect(en.text).toContain('How is the project going overall?');
      for (const email of [ja, en]) {
        const positions = (checkinLinks.oneClick ?? []).map((o) => email.html.indexOf(`href="${o.url}"`));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        for (const o of checkinLinks.oneClick ?? []) expect(email.html).toContain(`>${o.value}</a>`);
        expect(email.text).toContain('18:59');
        expect(email.html).toContain('18:59');
      }
      expect(ja.html).toContain('まったく満足していない');
      expect(ja.html).toContain('とても満足している');
      expect(en.html).toMatch(/not at all satisfied/i);
      expect(en.html).toMatch(/very satisfied/i);
      expect(ja.text).toContain('保存されません');
      expect(en.text).toContain('Nothing is saved until');
      expect(ja.text).toContain('コーディネーターだけが確認');
      expect(en.text).toContain('only your coordinator does');
    }
    expect(one('checkin-request', 'ja', 'round 2, to the host').text).toContain('兼業人材の方には共有されず');
    expect(one('checkin-request', 'ja', 'round 2, to the talent').text).toContain('受入事業者の方には共有されず');
    expect(one('checkin-request', 'en', 'round 2, to the host').text).toContain('The talent does not see your answers');
    expect(one('checkin-reminder', 'ja', 'final').subject).toContain('最終アンケート');
    expect(one('checkin-reminder', 'en', 'final').subject).toContain('final survey');
  });

  it('contract-reminder names the documents in the recipient’s language, the due date and why one was returned', () => {
    const ja = one('contract-reminder', 'ja', 'before');
    const en = one('contract-reminder', 'en', 'before');
    expect(ja.text).toContain('業務委託契約書');
    expect(ja.html).toContain('業務委託契約書');
    expect(en.text).toContain('Outsourcing contract');
    expect(en.html).toContain('Outsourcing contract');
    expect(en.text).not.toContain('業務委託契約書');
    expect(ja.text).not.toContain('Outsourcing contract');
    for (const email of [ja, en]) {
      expect(email.text).toContain('Signature page missing');
      expect(email.text).toContain('10:30');
      expect(email.text).toContain(coordinator.email);
    }
    expect(ja.text).not.toContain('期限を過ぎて');
    expect(en.text).not.toMatch(/overdue/i);
    expect(one('contract-reminder', 'ja', 'overdue').subject).toContain('期限を過ぎて');
    expect(one('contract-reminder', 'ja', 'overdue').text).toContain('期限を過ぎて');
    expect(one('contract-reminder', 'en', 'overdue').subject).toMatch(/overdue/i);
  });

  it('escalation shows what, how severe, why, the due date and the ids for the API', () => {
    const ja = one('escalation', 'ja', 'opened');
    const en = one('escalation', 'en', 'opened');
    expect(ja.subject).toContain('優先度の認識のずれ');
    expect(ja.text).toContain('高');
    expect(en.subject).toContain('Priority gap');
    expect(en.text).toContain('High');
    for (const email of [ja, en]) {
      for (const part of [email.text, email.html]) {
        expect(part).toContain('17:20');
        expect(part).toContain(escalation.id);
        expect(part).toContain(match.id);
        for (const reason of escalation.reasons) expect(part).toContain(reason);
      }
    }
    expect(ja.text).toContain('プログラムマネージャーにエスカレーションされます');
    expect(en.text).toContain('goes up to the program manager');
    expect(one('escalation', 'ja', 'reopened').text).toContain('スヌーズ');
    expect(one('escalation', 'en', 'reopened').subject).toContain('reopened');
    // Already at the program manager: no promise that it will go up.
    expect(one('escalation', 'en', 'an unknown').text).not.toContain('goes up to the program manager');
    expect(one('escalation', 'en', 'an unknown').subject).toContain('something_new');
  });

  it('escalation-raised tells the program manager which match and who the coordinator is', () => {
    for (const locale of LOCALES) {
      const email = one('escalation-raised', locale);
      expect(email.text).toContain(coordinator.name);
      expect(email.text).toContain(coordinator.email);
      expect(email.html).toContain(`href="mailto:${coordinator.email}"`);
      expect(email.text).toContain(escalation.id);
      expect(email.text).toContain(match.id);
      expect(email.text).toContain('17:20');
    }
    expect(one('escalation-raised', 'ja').subject).toContain('優先度の認識のずれ');
    expect(one('escalation-raised', 'en').subject).toContain('Priority gap');
  });

  it('task-reminder shows the label in the recipient’s language, the due date and the task id', () => {
    const ja = one('task-reminder', 'ja', 'opened');
    const en = one('task-reminder', 'en', 'opened');
    expect(ja.subject).toContain('中間振り返り');
    expect(ja.text).not.toContain('Mid-point review');
    expect(en.subject).toContain('Mid-point review');
    expect(en.text).not.toContain('中間振り返り');
    for (const email of [ja, en]) {
      expect(email.text).toContain('15:45');
      expect(email.text).toContain(task.id);
    }
    expect(ja.text).not.toContain('期限を過ぎて');
    expect(en.text).not.toMatch(/overdue/i);
    expect(one('task-reminder', 'ja', 'overdue').text).toContain('期限を過ぎて');
    expect(one('task-reminder', 'en', 'overdue').subject).toMatch(/overdue/i);
  });

  it('delivery-problem says who did not get which email, how often it was tried, and what the server said', () => {
    const ja = one('delivery-problem', 'ja', "the host's");
    expect(ja.subject).toContain('メールが届きませんでした');
    expect(ja.subject).toContain('受入事業者');
    expect(ja.text).toContain('定期チェックイン');
    expect(ja.text).toContain('8 回');
    const en = one('delivery-problem', 'en', "the host's");
    expect(en.subject).toContain('An email could not be delivered: Host');
    expect(en.text).toContain('Check-in');
    for (const email of [ja, en]) {
      expect(email.text).toContain(`${host.name} <${host.email}>`);
      expect(email.text).toContain('452 4.2.2 Mailbox full');
      expect(email.text).toContain('15:45');
      expect(email.text).toContain(match.id);
    }
    // A template it does not know by name is shown as it is.
    expect(one('delivery-problem', 'en', "the coordinator's").text).toContain('something-new');
  });

  it('coordinator-digest puts overdue items first, then the rest by due date', () => {
    for (const locale of LOCALES) {
      const items = digestItems(locale);
      const email = one('coordinator-digest', locale, 'a busy');
      // Overdue by due date (4 Dec, 8 Dec), then the rest by due date (9 Dec, 11 Dec), undated last.
      const labels = [4, 1, 3, 0, 2].map((i) => items[i]!.label);
      for (const part of [email.text, email.html]) {
        const positions = labels.map((label) => part.indexOf(label));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        for (const item of items) expect(part).toContain(item.matchId);
      }
      expect(email.subject).toMatch(locale === 'ja' ? /5件/ : /5 items/);
    }
  });

  it('coordinator-digest has a friendly line for a quiet week', () => {
    expect(one('coordinator-digest', 'ja', 'a quiet').text).toContain('対応が必要なことはありません');
    expect(one('coordinator-digest', 'en', 'a quiet').text).toContain('Nothing needs you this week');
  });
});

describe('text that could break an email (a title from a spreadsheet cell, a stray control character)', () => {
  // What a match started before input was normalised may still carry: Excel's Alt+Enter, CRLF, a tab, NUL.
  const brokenMatch = {
    ...match,
    programName: 'ふるさと\n兼業',
    title: 'EC 販路\r\n開拓\t\u0000試作',
    host: { ...host, name: '山田\n花子' },
  };
  const renderBroken = (name: string, sample: Sample, locale: Locale) =>
    renderEmail(name, locale, {
      ...sample.data(locale),
      match: brokenMatch,
      recipient: { name: '山田\n花子', email: host.email, locale },
      role: sample.role,
      links: sample.links ?? { base: BASE },
    });
  const everyTemplate = names.flatMap((name) =>
    LOCALES.map((locale) => ({ name, locale, sample: SAMPLES[name]![0]! })),
  );

  it.each(everyTemplate)('$name ($locale) still renders, with the values on one line in the subject', (c) => {
    const email = renderBroken(c.name, c.sample, c.locale);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(email.subject).not.toMatch(/[\u0000-\u001f\u007f\uE000]/);
    // The sign-in email's subject takes no values at all.
    if (c.name !== 'sign-in') {
      expect(email.subject.startsWith(c.locale === 'ja' ? '【ふるさと 兼業】' : '[ふるさと 兼業]')).toBe(true);
      if (c.name !== 'coordinator-digest') expect(email.subject).toContain('EC 販路 開拓 試作');
    }
    // The body keeps its own lines and the value's line breaks, without the control characters.
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    for (const part of [email.text, email.html]) expect(part).not.toMatch(/[\u0000\u000b\u000c\uE000]/);
    expect(email.text.startsWith('Subject:')).toBe(false);
  });

  it('headerText makes one header line of anything', () => {
    expect(headerText(' 山田\r\n\t花子\u0000 ')).toBe('山田 花子');
    expect(headerText('a\u2028b\u0085c')).toBe('a b c');
  });
});
