// forewarn status page: local times, and live updates over server-sent events.
// The page works without this script: it is plain server-rendered HTML in UTC.
"use strict";

(function () {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // The reader's language and zone, always on a 24-hour clock, as the server writes times.
  const format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });

  const clock = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  const day = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "2-digit", day: "2-digit" });

  // Show every <time datetime> in the reader's own time zone; a range ending
  // on the day it starts shows the end as a time only.
  function localise(root) {
    for (const el of root.querySelectorAll("time[datetime]")) {
      const at = new Date(el.getAttribute("datetime"));
      if (isNaN(at)) continue;
      el.title = el.textContent;  // the UTC original stays one hover away
      const range = el.closest(".range");
      const first = range && range.querySelector("time[datetime]");
      const sameDay = first && first !== el && day.format(new Date(first.getAttribute("datetime"))) === day.format(at);
      el.textContent = sameDay ? clock.format(at) : format.format(at);
    }
    for (const el of document.querySelectorAll("[data-zone]")) el.textContent = zone || "your time zone";
  }

  // What the reader has typed into a form on this page: a live update must not wipe it.
  let edited = false;
  document.addEventListener("input", (event) => {
    if (event.target.closest && event.target.closest("main form")) edited = true;
  });

  // On a change, fetch this page again and swap in its <main>; at most a few times a second.
  let pending = null;
  function stale() {
    const note = document.querySelector("[data-live-note]");
    if (note) note.textContent = "This page has changed since you opened it: reload to see it.";
  }
  function refresh() {
    if (pending) return;
    // A page that is not a view of the stream (an answer, and its form) is never fetched again.
    if (edited || document.querySelector("main[data-live=off]")) return stale();
    pending = setTimeout(async () => {
      pending = null;
      try {
        const response = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
        if (!response.ok) return;
        const next = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = next.querySelector("main");
        const main = document.querySelector("main");
        if (!fresh || !main) return;
        // The reader may have begun typing while the page was fetched.
        if (edited) return stale();
        localise(fresh);
        main.replaceChildren(...fresh.childNodes);
        document.title = next.title;
        const note = document.querySelector("[data-live-note]");
        if (note) note.textContent = "Updated " + format.format(new Date());
      } catch (e) {
        // Offline for a moment: the next event or reconnect tries again.
      }
    }, 200);
  }

  function listen() {
    if (!("EventSource" in window)) return;
    const source = new EventSource("/events");
    const state = document.querySelector("[data-live-state]");
    source.addEventListener("change", refresh);
    // After a reconnect, events may have been missed: catch up at once.
    source.addEventListener("open", () => { if (state) state.textContent = " (live)"; refresh(); });
    source.addEventListener("error", () => { if (state) state.textContent = " (reconnecting)"; });
  }

  document.addEventListener("DOMContentLoaded", () => {
    localise(document);
    listen();
  });
})();
