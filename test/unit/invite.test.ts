import { renderInvite } from '../../activities/mail/invite';
import type { KickoffInvite } from '../../workflows/shared';
import { parseInvite } from '../support/ics';

const invite: KickoffInvite = {
  method: 'REQUEST',
  uid: 'm-2026-001-kickoff@bansou',
  sequence: 1,
  startsAt: '2026-12-03T01:00:00.000Z', // 10:00 JST
  durationMinutes: 60,
  summary: 'EC 販路開拓: キックオフミーティング / Kickoff',
  location: 'https://meet.example.jp/kickoff',
  organizer: { name: '鈴木 一郎', email: 'suzuki@npo.example.jp' },
  attendees: [
    { name: '山田 花子', email: 'hanako@yamada.example.jp' },
    { name: 'Alex Tanaka', email: 'alex@example.com' },
  ],
};

describe('kickoff calendar invites (ical-generator, parsed back with ical.js)', () => {
  it('is a REQUEST at 10:00 JST with the coordinator as organizer and host and talent as attendees', () => {
    const parsed = parseInvite(renderInvite(invite, 'Asia/Tokyo'));
    expect(parsed).toMatchObject({
      method: 'REQUEST',
      uid: invite.uid,
      sequence: 1,
      status: 'CONFIRMED',
      summary: invite.summary,
      organizer: 'mailto:suzuki@npo.example.jp',
      tzid: 'Asia/Tokyo',
      startLocal: '2026-12-03T10:00:00',
    });
    expect(parsed.start.toISOString()).toBe('2026-12-03T01:00:00.000Z');
    expect(parsed.end.toISOString()).toBe('2026-12-03T02:00:00.000Z');
    expect(parsed.attendees.map((a) => a.toLowerCase())).toEqual([
      'mailto:hanako@yamada.example.jp',
      'mailto:alex@example.com',
    ]);
  });

  it('keeps the UID when the meeting moves, with a higher SEQUENCE', () => {
    const moved = parseInvite(
      renderInvite({ ...invite, sequence: 2, startsAt: '2026-12-04T05:30:00.000Z' }, 'Asia/Tokyo'),
    );
    expect(moved).toMatchObject({ method: 'REQUEST', uid: invite.uid, sequence: 2, startLocal: '2026-12-04T14:30:00' });
  });

  it('cancels with METHOD:CANCEL and STATUS:CANCELLED on the same UID', () => {
    const cancelled = parseInvite(renderInvite({ ...invite, method: 'CANCEL', sequence: 3 }, 'Asia/Tokyo'));
    expect(cancelled).toMatchObject({ method: 'CANCEL', uid: invite.uid, sequence: 3, status: 'CANCELLED' });
  });

  it('writes times in the program’s own zone', () => {
    const ny = parseInvite(renderInvite(invite, 'America/New_York'));
    expect(ny).toMatchObject({ tzid: 'America/New_York', startLocal: '2026-12-02T20:00:00' });
    expect(ny.start.toISOString()).toBe('2026-12-03T01:00:00.000Z');
  });

  it('stamps DTSTAMP in UTC, as RFC 5545 requires', () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const ics = renderInvite(invite, 'Asia/Tokyo');
    const stamp = /^DTSTAMP:(\d{8}T\d{6}Z)\r?$/m.exec(ics)?.[1];
    expect(stamp).toBeDefined();
    const at = Date.parse(stamp!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
