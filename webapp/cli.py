"""`flask --app wsgi user create|deactivate …`, `… queue create …`, `… purge`,
`… audit verify` and `… demo`."""

import time

import click
from flask import Flask

from webapp.services import audit, customers, demo, mailer, queues, retention
from webapp.services.errors import ServiceError
from webapp.services.users import create_user, deactivate, find_user


def register(app: Flask) -> None:
    @app.cli.group("user")
    def user_group():
        """Manage staff accounts."""

    @user_group.command("create")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option(
        "--role", type=click.Choice(["rep", "agent", "supervisor", "admin"]), default="rep"
    )
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create(email: str, name: str, role: str, password: str):
        """Create a staff user (prompts for the password when left out)."""
        try:
            user = create_user(email, name, role, password)
        except ServiceError as error:
            raise click.ClickException(str(error.message)) from None
        click.echo(f"Created {user.role} {user.email}")

    @user_group.command("deactivate")
    @click.argument("email")
    def deactivate_command(email: str):
        """Stop a staff user: no more logins, and their open pages lose their sockets now."""
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"No user {email}")
        deactivate(user)
        click.echo(f"Deactivated {user.email}")

    @app.cli.group("queue")
    def queue_group():
        """Manage WebACD queues (R6)."""

    @queue_group.command("create")
    @click.argument("name")
    @click.option("--agent", "agents", multiple=True, metavar="EMAIL", help="An agent's email.")
    def create_queue_command(name: str, agents: tuple[str, ...]):
        """Create a queue with its agents: --agent EMAIL, as often as needed."""
        try:
            queue = queues.create_queue(name, list(agents))
        except ServiceError as error:
            raise click.ClickException(str(error.message)) from None
        members = ", ".join(agent.email for agent in queue.members) or "no agents"
        click.echo(f"Created queue {queue.name} ({members})")

    @app.cli.command("purge")
    @click.option(
        "--older-than",
        "days",
        type=click.IntRange(min=1),
        metavar="DAYS",
        help="Sessions that ended more than DAYS ago; default: the admin's retention.",
    )
    def purge_command(days: int | None):
        """Remove ended sessions' files, recordings, chat and events past the retention."""
        days = days or customers.site_settings().retention_days
        if days is None:
            raise click.ClickException(
                "No retention is set: give --older-than DAYS, or set one under Inställningar."
            )
        purged = retention.purge_older_than(days)
        click.echo(
            f"Sessions ended more than {days} days ago: {purged.sessions} purged, "
            f"{purged.files} files and {purged.recordings} recordings "
            f"({purged.bytes / 1024 / 1024:.1f} MB), {purged.chat_lines} chat lines, "
            f"{purged.events} events removed."
        )
        for path in purged.missing_on_disk:
            click.echo(f"  already gone from disk: {path}")

    @app.cli.group("audit")
    def audit_group():
        """The sessions' tamper-evident event log (docs/security.md)."""

    @audit_group.command("verify")
    @click.argument("number", required=False)
    @click.option(
        "--verbose", "-v", is_flag=True, help="A line for every session, not only broken ones."
    )
    def audit_verify(number: str | None, verbose: bool):
        """Check every session's event chain and tombstones, or one session's by its NUMBER.

        Exits with status 1 when a chain is broken, naming its first broken link."""
        started = time.perf_counter()
        if number is None:
            verdicts = audit.verify_all()
        else:
            support_session = audit.find_by_number(number)
            if support_session is None:
                raise click.ClickException(f"No session with number {number}")
            verdicts = [audit.verify_session(support_session)]
        checked = events = tombstones = broken = 0
        for verdict in verdicts:
            checked += 1
            events += verdict.events
            tombstones += verdict.tombstones
            broken += not verdict.verified
            if verbose or number is not None or not verdict.verified:
                click.echo(_verdict_line(verdict))
        seconds = time.perf_counter() - started
        outcome = f"{broken} broken" if broken else "all verified"
        click.echo(
            f"Checked {checked} sessions, {events} events and {tombstones} tombstones "
            f"in {seconds:.2f} s: {outcome}."
        )
        if broken:
            raise SystemExit(1)

    @app.cli.group("outbox")
    def outbox_group():
        """Mail the site sent or is trying to send."""

    @outbox_group.command("list")
    @click.option("--all", "show_all", is_flag=True, help="Sent mail too, not only what waits.")
    def outbox_list(show_all: bool):
        """Mail waiting, retrying or failed (newest first)."""
        for row in mailer.listed(show_all):
            when = row.next_try_at.strftime("next try %H:%M:%S") if row.next_try_at else ""
            click.echo(
                f"{row.id:>6} {row.state:<8} tries {row.attempts} {row.recipient} {when} "
                f"{row.error or ''}".rstrip()
            )

    @outbox_group.command("retry")
    def outbox_retry():
        """Try failed and waiting mail again now."""
        count = mailer.retry_failed()
        sent = mailer.deliver_due()
        click.echo(f"{count} mail queued again; {sent} tried now.")

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Seed only a database with no users.")
    def demo_command(if_empty: bool):
        """Seed a demo site: an admin, two reps, two agents and two queues."""
        if if_empty and not demo.is_empty():
            click.echo("Database has users; demo data left as it is.")
            return
        click.echo("Demo logins:")
        for email, role, password in demo.seed():
            click.echo(f"  {email:<22} {role:<6} password: {password}")


def _verdict_line(verdict: audit.Verdict) -> str:
    number = f"{verdict.number[:3]} {verdict.number[3:6]} {verdict.number[6:]}"
    removed = f", {verdict.tombstones} tombstones" if verdict.tombstones else ""
    if verdict.verified:
        return f"{number}: verified, {verdict.events} events{removed}"
    broken = verdict.broken
    where = (
        f" at event {broken.event_id} (no. {broken.seq} in the session)" if broken.event_id else ""
    )
    return f"{number}: BROKEN{where}: {broken.problem}"
