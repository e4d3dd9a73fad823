"""`make demo`: load the example cloud, start the stack, book a window and watch it run.

Everything runs on embedded defaults in a fresh data folder, and every process
it starts is stopped before it exits.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from dovecot import Dovecot, start_dovecot
from icalendar import Calendar, Event, vCalAddress
from imapclient import IMAPClient
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
FOREWARN = str(Path(sys.executable).with_name("forewarn"))
console = Console()


def forewarn(*args: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the CLI as an operator would, echoing the command line (unless quiet)."""
    if not quiet:
        # Quoted as a shell needs it, so that a line can be pasted back.
        console.print(f"\n[bold cyan]$ {escape(shlex.join(['forewarn', *args]))}[/]", soft_wrap=True)
    result = subprocess.run([FOREWARN, *args], text=True, capture_output=True)
    if not quiet:
        sys.stdout.write(result.stdout)
        sys.stdout.write(result.stderr)
    if check and result.returncode != 0:
        raise SystemExit(f"forewarn {args[0]} failed with exit code {result.returncode}")
    return result


def wait_until_up(up: subprocess.Popen[str], log: Path, timeout: float = 60) -> None:
    """Until `forewarn up` says it is up in its log; the lines it wrote so far are shown."""
    deadline = time.monotonic() + timeout
    shown = 0
    while time.monotonic() < deadline and up.poll() is None:
        lines = log.read_text(errors="replace").splitlines(keepends=True)
        for line in lines[shown:]:
            sys.stdout.write("  │ " + line)
        shown = len(lines)
        if any("forewarn is up" in line for line in lines):
            return
        time.sleep(0.2)
    raise SystemExit(f"the stack did not come up; its log is {log}")


def watch(window_id: str, end: datetime, status_url: str) -> None:
    """A progress bar until the window has completed, and the status page once it runs."""
    total = max((end - datetime.now(UTC)).total_seconds() + 3, 1)
    seen = None
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        task = progress.add_task("scheduled", total=total)
        started = time.monotonic()
        while True:
            state = json.loads(
                subprocess.run(
                    [FOREWARN, "show", window_id, "--json"], text=True, capture_output=True, check=True
                ).stdout
            )["status"]
            if state != seen:
                progress.console.print(f"  {datetime.now(UTC):%H:%M:%S} UTC  window is [bold]{state}[/]")
                seen = state
                if state == "in_progress":
                    status_line(status_url)
            progress.update(task, description=state, completed=time.monotonic() - started)
            if state in ("completed", "cancelled"):
                return
            if time.monotonic() - started > total + 60:
                raise SystemExit("the window did not complete in time")
            time.sleep(1)


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="forewarn-demo-"))
    os.environ["FOREWARN_DATA_DIR"] = str(data)
    os.environ.pop("FOREWARN_NATS_URL", None)
    os.environ.pop("FOREWARN_DATABASE_URL", None)
    os.environ["FOREWARN_OPS_EMAIL"] = "noc@cloud.example.net"
    os.environ["FOREWARN_STATUS_PORT"] = str(free_port())
    status_url = f"http://127.0.0.1:{os.environ['FOREWARN_STATUS_PORT']}"
    # Where tenants' links point: in production the page's public address.
    os.environ["FOREWARN_STATUS_URL"] = status_url
    # Signs the Acknowledge and Ask-for-another-time links in every notice.
    os.environ["FOREWARN_ANSWER_SECRET"] = secrets.token_urlsafe(32)
    console.rule("[bold]forewarn demo")
    console.print(f"data folder: {data}")
    mailbox = organizer_mailbox()
    forewarn("inventory", "load", str(ROOT / "examples" / "inventory.yaml"))
    forewarn("inventory", "show")

    console.print("\n[bold cyan]$ forewarn up[/]  (in the background)")
    up_log = data / "up.log"
    up = start_up(up_log)
    tail = None
    try:
        wait_until_up(up, up_log)
        tail_log = (data / "tail.log").open("w")
        tail = subprocess.Popen(
            [FOREWARN, "tail"], stdout=tail_log, stderr=subprocess.STDOUT, env=os.environ | {"COLUMNS": "200"}
        )
        time.sleep(1)

        console.rule("A booking that breaks the rules is refused, with every reason")
        christmas = f"{datetime.now(UTC).year}-12-24T22:00+01:00"
        forewarn(
            "book",
            "--title",
            "Kernel update",
            "--impact",
            "outage",
            "--hosts",
            "sto1-cmp-[15-18]",
            "--start",
            christmas,
            "--duration",
            "2h",
            check=False,
        )

        console.rule("A real one: an Ubuntu migration of four STO1 compute hosts")
        start = datetime.now(UTC) + timedelta(seconds=60)
        booked = forewarn(
            "book",
            "--title",
            "STO1 compute: Ubuntu 24.04 migration, rolling reboot",
            "--impact",
            "outage",
            "--description",
            "Hosts are drained, migrated and rebooted one at a time.",
            "--hosts",
            "sto1-cmp-[01-04]",
            "--start",
            "+60s",
            "--duration",
            "60s",
            "--short",  # a demo's minute, not a real window's hours
        )
        window_id = booked.stdout.split("Window ", 1)[1].split()[0]
        console.rule("The work needs longer: extend it, and every contact gets an update")
        forewarn("extend", window_id, "--by", "30s")
        console.rule("The public status page shows it; each tenant has a private link")
        status_line(status_url)
        forewarn("tenant", "token", "acme-ab")
        answer(window_id, data / "inbox", mailbox)
        console.rule(f"Watching {window_id} until it completes")
        watch(window_id, start + timedelta(seconds=90), status_url)
        forewarn("show", window_id)
        status_line(status_url)
        console.rule("The completion report: tenants got their part, ops the whole")
        show_report(window_id)
        rolling(data / "inbox")
        console.rule("The event stream, as `forewarn tail` saw it")
        time.sleep(1)
    finally:
        stop(tail, up)
        if mailbox:
            mailbox.stop()
    sys.stdout.write((data / "tail.log").read_text())
    show_inbox(data / "inbox")
    console.print(f"`forewarn up`'s log: {up_log}")
    console.print(
        f"the demo's data (store, mails, log) is left in {data} for you to look at; "
        f"`rm -r {data}` removes it"
    )
    console.rule("[green]demo finished: every process stopped")


def rolling(inbox: Path) -> None:
    """A rolling window of three batches: each tenant told its own slot, and its all-clear once back."""
    console.rule("A rolling window: STO2 hosts two at a time, each tenant told its own slot")
    booked = forewarn(
        "book",
        "--title",
        "STO2 compute: firmware update, two hosts at a time",
        "--impact",
        "outage",
        "--hosts",
        "sto2-cmp-[01-06]",
        "--batch-size",
        "2",
        "--per-batch",
        "20s",
        "--start",
        "+20s",
        "--short",
    )
    window_id = booked.stdout.split("Window ", 1)[1].split()[0]
    first = wait_for_notices(inbox, f"<{window_id}.", ".scheduled.")
    console.print(f"  {len(first)} invitations, each for its tenant's own batches; one of them:")
    sample = next(m for m in first if ".nyc-quant." in str(m["Message-ID"]))
    text = sample.get_body(("plain",)).get_content()
    console.print("\n".join("    " + line for line in text.splitlines()[6:17]), highlight=False)
    wait_for_state(window_id, "in_progress")
    console.rule("Batch 1 is back: its one tenant gets the all-clear, long before the window ends")
    forewarn("progress", window_id, "--batch", "1", "--done")
    for message in wait_for_notices(inbox, f"<{window_id}.", ".cleared."):
        console.print(f"  to {message['To']}: {message['Subject'].strip()}", highlight=False)
    time.sleep(5)
    forewarn("progress", window_id, "--batch", "2", "--done")
    console.rule("The last batch done completes the window")
    forewarn("progress", window_id, "--batch", "3", "--done")
    wait_for_state(window_id, "completed")
    show_report(window_id)


def wait_for_state(window_id: str, state: str, timeout: float = 60) -> None:
    """Until `forewarn show` says the window is in this state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = forewarn("show", window_id, "--json", quiet=True)
        if json.loads(shown.stdout)["status"] == state:
            return
        time.sleep(0.5)
    raise SystemExit(f"window {window_id} was not {state} in time")


def organizer_mailbox() -> Dovecot | None:
    """The organizer's mailbox in a Dovecot of the demo's own, where calendars' answers arrive."""
    user, password = os.environ.get("FOREWARN_MAIL_FROM", "maintenance@cloud.example.net"), "demo"
    try:
        mailbox = start_dovecot(user, password)
    except (FileNotFoundError, RuntimeError) as exc:
        console.print(f"[yellow]no calendar answers in this demo: {exc}[/]")
        return None
    os.environ |= {
        "FOREWARN_IMAP_HOST": "127.0.0.1",
        "FOREWARN_IMAP_PORT": str(mailbox.port),
        "FOREWARN_IMAP_TLS": "none",
        "FOREWARN_IMAP_USERNAME": user,
        "FOREWARN_IMAP_PASSWORD": password,
    }
    console.print(f"organizer's mailbox: imap://127.0.0.1:{mailbox.port} (Dovecot), read by `forewarn up`")
    return mailbox


def answer(window_id: str, inbox: Path, mailbox: Dovecot | None) -> None:
    """Two tenants answer the updated plan: one from its calendar, one through its notice's link."""
    updated = wait_for_notices(inbox, f"<{window_id}.", ".updated.r2.")
    by_tenant: dict[str, EmailMessage] = {}
    for message in updated:
        by_tenant.setdefault(message["Message-ID"].strip().split(".")[1], message)
    accepting, proposing = sorted(by_tenant)[:2]
    if mailbox:
        console.rule(f"{accepting} accepts in its calendar: the REPLY lands in the organizer's mailbox")
        reply = calendar_reply(by_tenant[accepting])
        client = IMAPClient("127.0.0.1", port=mailbox.port, ssl=False)
        client.login(mailbox.user, mailbox.password)
        client.append("INBOX", reply.as_bytes(policy=policy.SMTP))
        client.logout()
        console.print(f"  delivered to INBOX: {reply['Subject']} (text/calendar; method=REPLY)")
    console.rule(f"{proposing} asks for another time through its notice's link")
    text = by_tenant[proposing].get_body(("plain",)).get_content()
    link = next(line.split(": ", 1)[1] for line in text.splitlines() if "?propose=1" in line)
    console.print(f"  opens {link[:70]}… and sends the form")
    wanted = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT22:00")
    form = urllib.parse.urlencode(
        {"answer": "proposed", "preferred": wanted, "comment": "Our release is that day."}
    )
    with urllib.request.urlopen(urllib.request.Request(link, data=form.encode(), method="POST"), timeout=10):
        pass
    expected = 2 if mailbox else 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        said = json.loads(forewarn("show", window_id, "--json", quiet=True).stdout)["answers"]
        if len(said["acknowledged"]) + len(said["proposed"]) >= expected:
            break
        time.sleep(0.5)
    forewarn("show", window_id)


def wait_for_notices(inbox: Path, prefix: str, kind: str, timeout: float = 30) -> list[EmailMessage]:
    """The notices of one kind the demo inbox has filed, once some have arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        for path in sorted(inbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            ident = str(message["Message-ID"] or "").strip()
            if ident.startswith(prefix) and kind in ident:
                found.append(message)
        if found:
            time.sleep(1)  # the rest of the fan-out
            return found
        time.sleep(0.5)
    raise SystemExit("the updated notices did not arrive in time")


def calendar_reply(invitation: EmailMessage) -> EmailMessage:
    """What a calendar sends back when its user presses Accept: the event, METHOD:REPLY, one attendee."""
    part = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    contact = invitation["To"].addresses[0]
    reply = Calendar()
    reply.add("prodid", "-//forewarn demo//a calendar answering//EN")
    reply.add("version", "2.0")
    reply.add("method", "REPLY")
    answered = Event()
    for name in ("uid", "sequence", "dtstart", "dtend", "summary", "organizer"):
        answered.add(name, event[name])
    answered.add("dtstamp", datetime.now(UTC))
    attendee = vCalAddress(f"mailto:{contact.addr_spec}")
    attendee.params.update({"PARTSTAT": "ACCEPTED", "CN": contact.display_name or contact.addr_spec})
    answered.add("attendee", attendee)
    reply.add_component(answered)
    mail = EmailMessage()
    mail["From"] = str(contact)
    mail["To"] = os.environ.get("FOREWARN_MAIL_FROM", "maintenance@cloud.example.net")
    mail["Subject"] = f"Accepted: {event['summary']}"
    mail["Message-ID"] = f"<demo-reply.{secrets.token_hex(6)}@{contact.domain}>"
    mail["In-Reply-To"] = invitation["Message-ID"].strip()
    mail.set_content(f"{contact.display_name or contact.addr_spec} has accepted.\n")
    mail.add_alternative(reply.to_ical(), maintype="text", subtype="calendar", params={"method": "REPLY"})
    return mail


def start_up(log: Path) -> subprocess.Popen[str]:
    """`forewarn up` in a session of its own (so that stop() can end its nats-server too), logging to a file.

    A file, not a pipe: a pipe nobody reads any more fills, and then blocks the stack.
    """
    with log.open("a") as out:
        return subprocess.Popen(
            [FOREWARN, "up", "--log-file", str(log)],
            text=True,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(*procs: subprocess.Popen[str] | None, timeout: float = 30) -> None:
    """Stop each process as Ctrl-C would; kill what is left after the timeout, with its children."""
    running = [p for p in procs if p and p.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGINT)
    for proc in running:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            console.print(f"[yellow]{proc.args[1]} did not stop within {timeout:.0f} s: killed[/]")
            if os.getpgid(proc.pid) == proc.pid:  # a session of its own: its children go too
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_line(url: str) -> None:
    """The page's address, and one line of what /api/v2/summary.json says right now."""
    with urllib.request.urlopen(f"{url}/api/v2/summary.json", timeout=5) as response:
        summary = json.load(response)
    windows = summary["scheduled_maintenances"]
    counts = {s: sum(1 for w in windows if w["status"] == s) for s in ("in_progress", "scheduled")}
    busy = [c["name"] for c in summary["components"] if c["status"] != "operational"]
    console.print(
        f"status page [bold]{url}/[/]: {summary['status']['description']}; "
        f"{counts['in_progress']} in progress, {counts['scheduled']} upcoming; "
        f"{len(summary['components'])} components"
        + (f", under maintenance: {', '.join(busy)}" if busy else ", all operational"),
        highlight=False,
    )


def show_report(window_id: str, timeout: float = 30) -> None:
    """`forewarn report`, once the reporter has written it."""
    deadline = time.monotonic() + timeout
    while forewarn("report", window_id, "--json", check=False, quiet=True).returncode != 0:
        if time.monotonic() > deadline:
            raise SystemExit("the completion report did not arrive in time")
        time.sleep(0.5)
    forewarn("report", window_id)


def show_inbox(folder: Path) -> None:
    """What each contact of each tenant received, from the demo inbox's .eml files."""
    received: dict[tuple[str, str], list[str]] = {}
    sample = None
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        invites = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
        if not invites:
            console.print(f"ops report mail: {path} ({message['Subject']})")
            continue
        invite = invites[0]
        event = Calendar.from_ical(invite.get_payload(decode=True)).walk("VEVENT")[0]
        method = invite.get_param("method") or "no method"
        label = f"{message['Subject'].split(']')[0].lstrip('[')} (seq {event['SEQUENCE']}, {method})"
        received.setdefault(
            (str(event["X-MAINTNOTE-ACCOUNT"]), message["To"].addresses[0].addr_spec), []
        ).append(label)
        if sample is None and invite.get_param("method") == "REQUEST":
            sample = (path, invite.get_payload(decode=True))
    table = Table("Tenant", "Contact", "Received", header_style="bold", title=f"Demo inbox: {folder}")
    for (tenant, contact), labels in sorted(received.items()):
        table.add_row(tenant, contact, "\n".join(labels))
    console.print(table)
    if sample:
        ics = sample[0].with_suffix(".ics")
        ics.write_bytes(sample[1])
        console.print(f"sample invitation mail: {sample[0]}\nits calendar part:      {ics}")


if __name__ == "__main__":
    main()
