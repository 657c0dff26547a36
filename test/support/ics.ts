import ICAL from 'ical.js';

export type ParsedInvite = {
  method: string;
  uid: string;
  sequence: number;
  status: string;
  summary: string;
  organizer: string;
  attendees: string[];
  /** DTSTART as written (wall clock) and its TZID. */
  startLocal: string;
  tzid: string;
  start: Date;
  end: Date;
};

/** Parses an iCalendar invite with ical.js (its VTIMEZONE registered, so times convert as a calendar would). */
export function parseInvite(ics: string): ParsedInvite {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
  }
  const vevent = calendar.getFirstSubcomponent('vevent')!;
  const event = new ICAL.Event(vevent);
  const dtstart = vevent.getFirstProperty('dtstart')!;
  return {
    method: String(calendar.getFirstPropertyValue('method')),
    uid: event.uid,
    sequence: event.sequence,
    status: String(vevent.getFirstPropertyValue('status')),
    summary: event.summary,
    organizer: String(vevent.getFirstPropertyValue('organizer')),
    attendees: vevent.getAllProperties('attendee').map((p) => String(p.getFirstValue())),
    startLocal: event.startDate.toString(),
    tzid: String(dtstart.getParameter('tzid')),
    start: event.startDate.toJSDate(),
    end: event.endDate.toJSDate(),
  };
}
