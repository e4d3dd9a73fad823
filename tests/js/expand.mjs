// Reads iCalendar files as ical.js does (Thunderbird, many web calendars) and prints, as
// JSON, each file's occurrences in UTC: every instance of a recurring VEVENT (EXDATE and
// overrides applied) and every lone override, with its RECURRENCE-ID.
//
//   node expand.mjs FILE.ics [FILE.ics ...]
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const utc = (time) => time.toJSDate().toISOString().replace(".000Z", "Z");

function read(path) {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const events = calendar.getAllSubcomponents("vevent");
  const master = events.find((e) => e.hasProperty("rrule"));
  const overrides = events.filter((e) => e.hasProperty("recurrence-id"));
  const found = { method: calendar.getFirstPropertyValue("method"), occurrences: [], overrides: [] };
  for (const override of overrides) {
    const event = new ICAL.Event(override);
    found.overrides.push({
      uid: event.uid,
      recurrence_id: utc(event.recurrenceId),
      start: utc(event.startDate),
      end: utc(event.endDate),
      sequence: event.sequence,
      status: override.getFirstPropertyValue("status"),
    });
  }
  if (master) {
    const event = new ICAL.Event(master, { strictExceptions: true });
    for (const override of overrides) event.relateException(override);
    const it = event.iterator();
    for (let next = it.next(); next; next = it.next()) {
      const details = event.getOccurrenceDetails(next);
      found.occurrences.push({
        recurrence_id: utc(details.recurrenceId),
        start: utc(details.startDate),
        end: utc(details.endDate),
      });
    }
  }
  return found;
}

console.log(JSON.stringify(process.argv.slice(2).map(read)));
