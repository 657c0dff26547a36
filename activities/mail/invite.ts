import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import { zonedParts } from '../../workflows/calendar';
import type { KickoffInvite } from '../../workflows/shared';
import { headerText } from './render';

const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time as ical-generator wants it next to a TZID (it would print a Date in UTC). */
function localIso(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/**
 * The calendar invite of a kickoff meeting (RFC 5546): METHOD:REQUEST with a stable UID and a SEQUENCE that grows on
 * every change, METHOD:CANCEL when it is called off; organizer the coordinator, attendees host and talent; times in
 * the program's zone with its VTIMEZONE.
 */
export function renderInvite(invite: KickoffInvite, timeZone: string): string {
  const calendar = ical({
    prodId: { company: 'bansou', product: 'bansou', language: 'JA' },
    method: invite.method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  calendar.timezone({ name: timeZone, generator: getVtimezoneComponent });
  const start = Date.parse(invite.startsAt);
  const event = calendar.createEvent({
    id: invite.uid,
    sequence: invite.sequence,
    start: localIso(start, timeZone),
    end: localIso(start + invite.durationMinutes * 60_000, timeZone),
    timezone: timeZone,
    // One line each: a name or title with a line break (or a control character) cannot break the calendar's lines.
    summary: headerText(invite.summary),
    location: invite.location ? headerText(invite.location) : null,
    organizer: { name: headerText(invite.organizer.name), email: invite.organizer.email },
    status: invite.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
  for (const attendee of invite.attendees)
    event.createAttendee({ name: headerText(attendee.name), email: attendee.email, rsvp: true });
  // DTSTAMP must be UTC (RFC 5545 3.8.7.2); with a calendar time zone set, ical-generator prints it in the process's
  // local time without the Z.
  return calendar.toString().replace(/^DTSTAMP:.*$/m, `DTSTAMP:${utcStamp(Date.now())}`);
}

/** An instant as an iCalendar UTC date-time, e.g. `20261124T032403Z`. */
function utcStamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace('.000', '');
}
