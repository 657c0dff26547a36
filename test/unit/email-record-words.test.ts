import { readdirSync } from 'node:fs';
import path from 'node:path';
import { EMAIL_RECORD_WORDS } from '../../api/workspace/words/emails';
import { SKIP_REASON_CODES } from '../../workflows/mail-delivery';

/** Every kind of email: one template per kind, in each language's folder. */
const TEMPLATES = path.join(__dirname, '../../activities/mail/templates');
const kinds = [
  ...new Set(
    readdirSync(TEMPLATES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(path.join(TEMPLATES, d.name)))
      .map((file) => file.replace(/\.(html|txt)\.eta$/, '')),
  ),
];

describe('the email record in words', () => {
  it('finds the codes in their sources', () => {
    expect(kinds).toContain('checkin-reminder');
    expect(SKIP_REASON_CODES).toContain('answered meanwhile');
  });

  it.each(kinds)('names the email kind %s in Japanese and English', (kind) => {
    expect(EMAIL_RECORD_WORDS.kind[kind]?.ja).toBeTruthy();
    expect(EMAIL_RECORD_WORDS.kind[kind]?.en).toBeTruthy();
  });

  it.each(SKIP_REASON_CODES)('says why an email was skipped (%s) in Japanese and English', (reason) => {
    expect(EMAIL_RECORD_WORDS.skipReason[reason]?.ja).toBeTruthy();
    expect(EMAIL_RECORD_WORDS.skipReason[reason]?.en).toBeTruthy();
  });

  it('has no words for codes that no longer exist', () => {
    expect(Object.keys(EMAIL_RECORD_WORDS.kind).sort()).toEqual([...kinds].sort());
    expect(Object.keys(EMAIL_RECORD_WORDS.skipReason).sort()).toEqual([...SKIP_REASON_CODES].sort());
  });
});
