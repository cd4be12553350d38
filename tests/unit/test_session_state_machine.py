"""Sessions as a state machine (DESIGN.md; SPEC R1, R4, R5; issue #7).

Hypothesis drives one support session through random sequences of joins,
assists, transfers of control, a switch of the customer helped, leaves,
media activities, chat, microphone reports, vanished browsers and ends, most
of them also tried by someone who may not. A shadow model predicts every
outcome; after each step the database, read fresh, must agree with the model
and with the invariants in `invariants_hold`.

Refused calls must raise ServiceError and change nothing. "Session state
changes" in the sense of the version column are transfer, customer switch,
leave and end: they bump it; joins and activities do not (joins must not
conflict with each other, see `events.lock_open`), so for those it only must
not go down. A failure prints the shortest sequence of steps found.
"""

import contextlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.factories import make_rep
from tests.helpers import run_together
from webapp.extensions import db
from webapp.models import (
    Activity,
    ChatMessage,
    Participant,
    SessionEvent,
    SessionState,
    SupportSession,
    User,
)
from webapp.services import activities, audit, chat, customers, sessions, validation
from webapp.services.errors import ServiceError

# The test's own words for the rules, so that it checks the services rather
# than repeating their constants.
SHARING = ("desktop_sharing", "application_sharing")
MEDIA = (*SHARING, "video", "voice")
RECORDABLE = (*SHARING, "video")
STARTABLE = (*MEDIA, "recording")
NOT_STARTABLE = ("file_transfer",)
VOICE = "voice"

REP_NAMES = ("Rut", "Helge", "Signe", "Tor")  # Rut starts the session
ELSEWHERE = -1  # stands for the assistant's seat in another session
CONTROLLER = "the controller"  # whoever is in control when the step runs
# Ending is one rule of many, and only when `when` draws 0; otherwise most
# examples would end within a few steps and test little but refusals.
END_ODDS = 4
NAMES = ("Kim Kund", "  Åsa   Öberg ", "x" * 80, "   ", "x" * 81)  # the last two are refused

MACHINE_SETTINGS = settings(
    # STATE_MACHINE_EXAMPLES=1000 for a deeper search than CI's quick one.
    max_examples=int(os.environ.get("STATE_MACHINE_EXAMPLES") or 60),
    stateful_step_count=25,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout; failures print the steps
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Seat:
    role: str
    rep: int | None = None  # index into REP_NAMES; None for a customer
    present: bool = True
    mic: bool = False


@dataclass
class Act:
    kind: str
    owner: int
    reason: str | None = None  # None while running

    @property
    def running(self) -> bool:
        return self.reason is None


@dataclass
class Loaded:
    """The session as the database has it now."""

    session: SupportSession
    participants: list[Participant]
    activities: list[Activity]
    events: Counter
    chat_lines: int

    def fingerprint(self) -> tuple:
        s = self.session
        return (
            (
                s.state,
                s.version,
                s.controller_id,
                s.helped_participant_id,
                s.ended_at,
                s.end_reason,
            ),
            tuple(
                (p.id, p.role, p.left_at, p.left_reason, p.has_microphone)
                for p in self.participants
            ),
            tuple(
                (a.id, a.kind, a.participant_id, a.ended_at, a.end_reason) for a in self.activities
            ),
            tuple(sorted(self.events.items())),
            self.chat_lines,
        )


def load(support_session_id: int) -> Loaded:
    db.session.expire_all()
    where = {"support_session_id": support_session_id}
    return Loaded(
        session=db.session.get(SupportSession, support_session_id),
        participants=list(
            db.session.scalars(sa.select(Participant).filter_by(**where).order_by(Participant.id))
        ),
        activities=list(
            db.session.scalars(sa.select(Activity).filter_by(**where).order_by(Activity.id))
        ),
        events=Counter(
            dict(
                db.session.execute(
                    sa.select(SessionEvent.kind, sa.func.count())
                    .filter_by(**where)
                    .group_by(SessionEvent.kind)
                ).all()
            )
        ),
        chat_lines=db.session.scalar(
            sa.select(sa.func.count()).select_from(ChatMessage).filter_by(**where)
        ),
    )


def session_tables() -> list[sa.Table]:
    """support_sessions and every table that hangs off it, dependants first."""
    found = {SupportSession.__table__}
    for table in db.metadata.sorted_tables:  # parents come before their children
        if table.name != User.__tablename__ and any(
            fk.column.table in found for fk in table.foreign_keys
        ):
            found.add(table)
    return [table for table in reversed(db.metadata.sorted_tables) if table in found]


def reset_database() -> None:
    """Empties the session tables between examples: faster than drop/create
    on PostgreSQL, and the reps (and their password hashes) are made once."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        # The event log refuses DELETE (the audit trail); the tests' superuser
        # switches triggers off for this transaction.
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    tables = session_tables()
    for table in tables:  # first cut the cycles (session -> controller seat, ...)
        cut = {fk.parent.name: None for fk in table.foreign_keys if fk.use_alter}
        if cut:
            db.session.execute(table.update().values(**cut))
    for table in tables:
        db.session.execute(table.delete())
    db.session.commit()
    db.session.expunge_all()


def seat(participant_id: int) -> Participant:
    return db.session.get(Participant, participant_id)


class SessionMachine(RuleBasedStateMachine):
    people = Bundle("people")

    def __init__(self, rep_ids: list[int], stranger_id: int):
        super().__init__()
        reset_database()
        self.rep_ids = rep_ids
        # Another session, with Helge assisting there too: its seat can never
        # receive control here, and Helge's assist here must get a new seat.
        other, _ = sessions.start_session(db.session.get(User, stranger_id))
        self.other_session_id = other.id
        self.other_seat_id = sessions.assist(db.session.get(User, rep_ids[1]), other).id
        self.other_fingerprint = load(other.id).fingerprint()

        support_session, first = sessions.start_session(db.session.get(User, rep_ids[0]))
        self.session_id = support_session.id
        self.first_seat_id = first.id
        self.controller = first.id
        self.seats: dict[int, Seat] = {first.id: Seat("rep", rep=0)}
        self.acts: dict[int, Act] = {}
        self.asked: set[int] = set()  # customers asked to allow recording (never answered here)
        self.ended = False
        self.events = Counter(started=1)
        self.last_version = support_session.version
        self.end_reason: str | None = None
        self.helped: int | None = None  # the customer the controller helps (R3.1)

    # -- the model ---------------------------------------------------------

    def who(self, actor: int | str) -> int:
        return self.controller if actor == CONTROLLER else actor

    def present_assistants(self) -> list[int]:
        return [pid for pid, s in self.seats.items() if s.present and s.role == "assistant"]

    def present_seat_of(self, rep: int) -> int | None:
        for pid, s in self.seats.items():
            if s.rep == rep and s.present:
                return pid
        return None

    def running(self) -> dict[int, Act]:
        return {aid: act for aid, act in self.acts.items() if act.running}

    def end_acts(self, reason: str, *, owner=None, kinds=None, keep=()) -> list[int]:
        ended = [
            aid
            for aid, act in self.running().items()
            if (owner is None or act.owner == owner)
            and (kinds is None or act.kind in kinds)
            and act.kind not in keep
        ]
        for aid in ended:
            self.acts[aid].reason = reason
        ended += self.stop_idle_recordings(ended)
        if ended:
            self.events["activities_ended"] += 1
        return ended

    def stop_idle_recordings(self, ended: list[int]) -> list[int]:
        """A recording stops with the last share or video it could record."""
        still = self.running()
        if not any(self.acts[aid].kind in RECORDABLE for aid in ended) or any(
            act.kind in RECORDABLE for act in still.values()
        ):
            return []
        idle = [aid for aid, act in still.items() if act.kind == "recording"]
        for aid in idle:
            self.acts[aid].reason = "nothing_to_record"
        return idle

    def close(self, reason: str) -> None:
        self.ended = True
        for s in self.seats.values():
            s.present = False
        self.end_acts("session_ended")
        self.events["ended"] += 1
        self.end_reason = reason

    # -- calling the services ----------------------------------------------

    def version(self) -> int:
        db.session.expire_all()
        return db.session.scalar(
            sa.select(SupportSession.version).where(SupportSession.id == self.session_id)
        )

    def refused(self, why: str, action: Callable) -> None:
        """The call raises ServiceError and nothing changes, version included."""
        note(f"  expected refusal: {why}")
        event(f"refused: {why}")
        before = load(self.session_id).fingerprint()
        db.session.expire_all()
        with pytest.raises(ServiceError):
            action()
        db.session.rollback()  # what the end of the request does
        assert load(self.session_id).fingerprint() == before, f"refused ({why}) but changed"

    def unchanged(self, why: str, action: Callable):
        note(f"  expected no change: {why}")
        event(f"no change: {why}")
        before = load(self.session_id).fingerprint()
        db.session.expire_all()
        result = action()
        db.session.rollback()
        assert load(self.session_id).fingerprint() == before, f"{why}, yet something changed"
        return result

    def succeeds(self, what: str, action: Callable, *, bumps_version: bool):
        event(f"changed: {what}")
        before = self.version()
        db.session.expire_all()
        result = action()
        db.session.rollback()
        after = self.version()
        if bumps_version:
            assert after > before, "a session state change did not bump the version"
        else:
            assert after >= before, "the version went down"
        return result

    # -- rules -------------------------------------------------------------

    @initialize(
        target=people,
        assistants=st.integers(0, 2),
        customer_count=st.integers(0, 2),
        microphones=st.lists(st.booleans(), min_size=5, max_size=5),
        # The call twice as likely as any other: R5.5 is about it.
        started=st.lists(
            st.tuples(st.integers(0, 4), st.sampled_from((VOICE, *STARTABLE))), max_size=4
        ),
        gone=st.lists(st.integers(1, 4), max_size=2),
    )
    def the_people_at_the_start(self, assistants, customer_count, microphones, started, gone):
        """Most examples start with a few people, microphones, activities and
        someone who left, so that few steps reach a transfer that has
        something to end or a seat it must refuse; shrinking takes them away."""
        ids = [self.first_seat_id]
        for rep in range(1, assistants + 1):
            ids += self.assist(rep)
        for _ in range(customer_count):
            ids += self.join("Kim Kund")
        for participant_id, has in zip(ids, microphones, strict=False):
            self.report_microphone(participant_id, has)
        for pick, kind in started:
            self.start(ids[pick % len(ids)], kind)
        for pick in gone:
            self.leave(ids[pick % len(ids)])
        return multiple(*ids)

    @rule(target=people, name=st.sampled_from(NAMES))
    def customer_joins(self, name):
        return multiple(*self.join(name))

    @rule(target=people, rep=st.integers(0, len(REP_NAMES) - 1))
    def rep_assists(self, rep):
        return multiple(*self.assist(rep))

    def join(self, name: str) -> list[int]:
        def action():
            return sessions.join_as_customer(db.session.get(SupportSession, self.session_id), name)

        if not name.strip() or len(" ".join(name.split())) > validation.NAME_MAX:
            self.refused("bad name", action)
            return []
        if self.ended:
            self.refused("session ended", action)
            return []
        customer_id = self.succeeds("join", lambda: action()[0].id, bumps_version=False)
        self.seats[customer_id] = Seat("customer")
        self.events["joined"] += 1
        recording = any(act.kind == "recording" for act in self.running().values())
        asking = any(self.seats[pid].present for pid in self.asked)
        if recording or asking:
            # A customer who joins while a recording runs, or while a present
            # customer is asked, is asked too; a recording stops (#16 item 4).
            self.end_acts("consent_missing", kinds={"recording"})
            self.events["consent_asked"] += 1
            self.asked.add(customer_id)
        if self.helped is None:  # the first customer is the one helped
            self.helped = customer_id
        return [customer_id]

    def assist(self, rep: int) -> list[int]:
        def action():
            user = db.session.get(User, self.rep_ids[rep])
            return sessions.assist(user, db.session.get(SupportSession, self.session_id)).id

        if self.ended:
            self.refused("session ended", action)
            return []
        current = self.present_seat_of(rep)
        if current is not None:
            assert self.unchanged("assisting again", action) == current, "a second seat"
            return []
        seat_id = self.succeeds("assist", action, bumps_version=False)
        assert seat_id not in self.seats and seat_id != self.other_seat_id
        self.seats[seat_id] = Seat("assistant", rep=rep)
        self.events["joined"] += 1
        return [seat_id]

    @precondition(lambda self: not self.ended and self.present_assistants())
    @rule(pick=st.integers(0, 7), microphone=st.none() | st.booleans())
    def controller_transfers_control(self, pick, microphone):
        """To a present assistant, whose page may first report its microphone."""
        targets = self.present_assistants()
        target = targets[pick % len(targets)]
        if microphone is not None:
            self.report_microphone(target, microphone)
        self.transfer(self.controller, target)

    @rule(
        actor=st.just(CONTROLLER) | people,
        receiver=people | st.just(ELSEWHERE),  # not `target`, which names an output bundle
    )
    def someone_transfers_control(self, actor, receiver):
        """Mostly refused: to a customer, someone who left, oneself, another
        session's seat, or by someone not in control."""
        self.transfer(self.who(actor), self.other_seat_id if receiver == ELSEWHERE else receiver)

    def transfer(self, actor: int, target: int) -> None:
        def action():
            sessions.transfer_control(seat(actor), seat(target))

        to = self.seats.get(target)
        if self.ended:
            return self.refused("session ended", action)
        if actor != self.controller:
            return self.refused("actor is not in control", action)
        if to is None:
            return self.refused("target is in another session", action)
        if to.role != "assistant":
            return self.refused(f"target is a {to.role}", action)
        if not to.present:
            return self.refused("target has left", action)

        running_before = {a.id: a.kind for a in load(self.session_id).activities if a.is_running}
        mic = seat(target).has_microphone
        assert mic == to.mic
        self.succeeds("transfer", action, bumps_version=True)
        running_after = {a.id for a in load(self.session_id).activities if a.is_running}
        for activity_id, kind in running_before.items():
            if activity_id in running_after:  # R5.4: only voice may go on ...
                assert kind == VOICE, f"{kind} still runs after a transfer (R5.4)"
                assert mic, "voice goes on to a new controller without a microphone (R5.5)"
            else:  # ... and R5.5: it does when the new controller has a microphone
                assert not (kind == VOICE and mic), "voice ended though the new controller has one"

        self.seats[actor].role, to.role = "assistant", "rep"
        self.controller = target
        self.end_acts("control_transferred", keep=(VOICE,) if mic else ())
        for kind in sorted(set(running_before.values())):
            event(f"transfer while {kind} ran, new controller {'with' if mic else 'without'} mic")
        self.events["control_transferred"] += 1

    @rule(actor=st.just(CONTROLLER) | people, customer=people)
    def someone_selects_a_customer(self, actor, customer):
        """R3.1-R3.2: the controller turns to another customer and sharing ends."""
        self.select_customer(self.who(actor), customer)

    def select_customer(self, actor: int, customer: int) -> None:
        def action():
            customers.select_customer(seat(actor), seat(customer))

        chosen = self.seats[customer]
        if self.ended:
            return self.refused("session ended", action)
        if actor != self.controller:
            return self.refused("actor is not in control", action)
        if chosen.role != "customer" or not chosen.present:
            return self.refused("not a present customer", action)
        if self.helped == customer:
            return self.unchanged("already helped", action)
        self.succeeds("select customer", action, bumps_version=True)
        self.helped = customer
        self.end_acts("customer_switched", kinds=SHARING)
        self.events["customer_selected"] += 1
        return None

    @rule(actor=people)
    def someone_not_in_control_tries_to_end(self, actor):
        def action():
            sessions.end_session(seat(actor))

        if self.ended:
            return self.unchanged("session already ended", action)
        if actor == self.controller:
            return None  # the controller ends in `session_ends`
        return self.refused("actor is not in control", action)

    @precondition(lambda self: not self.ended)
    @rule(
        how=st.sampled_from(["controller ends", "controller gone"]),
        when=st.integers(0, END_ODDS - 1),
    )
    def session_ends(self, how, when):
        if when:
            return
        if how == "controller ends":
            self.succeeds(
                how, lambda: sessions.end_session(seat(self.controller)), bumps_version=True
            )
            self.close("ended_by_rep")
        else:  # R1.5: the controller's page was gone past the grace period
            gone = self.succeeds(
                how,
                lambda: sessions.participant_gone(self.session_id, self.controller),
                bumps_version=True,
            )
            assert gone is True
            self.close("controller_gone")

    @rule(actor=people)
    def someone_leaves(self, actor):
        self.leave(actor)

    def leave(self, actor: int) -> None:
        def action():
            sessions.leave(seat(actor))

        me = self.seats[actor]
        if self.ended or not me.present:
            return self.unchanged("ended or already gone", action)
        if actor == self.controller:
            return self.refused("the controller may not leave (R5.3)", action)
        self.succeeds("leave", action, bumps_version=True)
        me.present = False
        if self.helped == actor:
            self.helped = None
        self.end_acts("left", owner=actor)
        self.events["left"] += 1

    @rule(actor=st.just(CONTROLLER) | people, kind=st.sampled_from(STARTABLE + NOT_STARTABLE))
    def someone_starts_an_activity(self, actor, kind):
        self.start(self.who(actor), kind)

    def start(self, actor: int, kind: str) -> None:
        def action():
            return activities.start_activity(seat(actor), kind).id

        me = self.seats[actor]
        running = self.running()
        if self.ended:
            return self.refused("session ended", action)
        if not me.present:
            return self.refused("actor has left", action)
        if kind not in STARTABLE:
            return self.refused(f"{kind} is not started by hand", action)
        if kind != VOICE and actor != self.controller and me.role != "customer":
            return self.refused("an assistant only joins the call (R4.2)", action)
        if kind == "recording":
            if actor != self.controller:
                return self.refused("only the controller records", action)
            if not any(act.kind in RECORDABLE for act in running.values()):
                return self.refused("nothing to record", action)
            if any(s.present and s.role == "customer" for s in self.seats.values()):
                # This model never answers the consent question (#16 item 4).
                return self.refused("a customer has not allowed recording", action)
        existing = [aid for aid, act in running.items() if (act.owner, act.kind) == (actor, kind)]
        if existing:
            assert self.unchanged("already running", action) == existing[0]
            return None
        activity_id = self.succeeds(f"start {kind}", action, bumps_version=False)
        assert activity_id not in self.acts
        self.acts[activity_id] = Act(kind, actor)
        self.events["activity_started"] += 1
        return None

    @precondition(lambda self: self.acts)
    @rule(actor=people, pick=st.integers(0, 7))
    def someone_stops_an_activity(self, actor, pick):
        activity_id = sorted(self.acts)[pick % len(self.acts)]
        act = self.acts[activity_id]

        def action():
            activities.end_activity(seat(actor), activity_id)

        if act.owner != actor and actor != self.controller:
            return self.refused("neither its owner nor in control", action)
        if not act.running:
            return self.unchanged("already ended", action)
        self.succeeds("stop activity", action, bumps_version=False)
        act.reason = "stopped"
        self.stop_idle_recordings([activity_id])
        self.events["activities_ended"] += 1
        return None

    @rule(actor=people)
    def someone_chats(self, actor):
        def action():
            chat.post_message(seat(actor), "Hej!")

        if self.ended or not self.seats[actor].present:
            return self.refused("no longer in the session", action)
        self.succeeds("chat", action, bumps_version=False)
        self.events["chat"] += 1
        if not any(act.kind == "chat" for act in self.running().values()):
            chat_id = db.session.scalar(
                sa.select(Activity.id).where(
                    Activity.support_session_id == self.session_id,
                    Activity.kind == "chat",
                    Activity.ended_at.is_(None),
                )
            )
            self.acts[chat_id] = Act("chat", actor)
            self.events["activity_started"] += 1
        return None

    @rule(actor=people, has=st.booleans())
    def browser_reports_microphone(self, actor, has):
        """Whoever it is; the report matters when a rep is given control (R5.5)."""
        self.report_microphone(actor, has)

    def report_microphone(self, actor: int, has: bool) -> None:
        def action():
            activities.report_microphone(seat(actor), has)

        me = self.seats[actor]
        if me.mic == has:
            self.unchanged("same report again", action)
            return
        # A report about the browser: an event, since R5.5 decides on it, but
        # no change of the session's state, so no new version.
        self.succeeds("microphone", action, bumps_version=False)
        self.events["microphone_reported"] += 1
        me.mic = has

    @rule(actor=people)
    def browser_gone_past_grace(self, actor):
        """Someone's page was gone past the grace period; the controller's is
        in `session_ends`."""

        def action():
            return sessions.participant_gone(self.session_id, actor)

        if actor == self.controller and not self.ended:
            return
        media = [a for a in self.running().values() if a.owner == actor and a.kind in MEDIA]
        if self.ended or not media:
            assert self.unchanged("nothing of theirs to stop", action) is False
            return
        assert self.succeeds("media of a gone browser", action, bumps_version=False) is False
        self.end_acts("disconnected", owner=actor, kinds=MEDIA)

    # -- invariants ----------------------------------------------------------

    @invariant()
    def invariants_hold(self):
        now = load(self.session_id)
        s = now.session
        by_id = {p.id: p for p in now.participants}

        # Versions never go down, and change only with the session.
        assert s.version >= self.last_version
        self.last_version = s.version

        # No participant row is ever deleted (and none appears unannounced).
        assert set(by_id) == set(self.seats), "participant rows deleted or unexpected"

        if s.state != SessionState.ENDED:
            controller = by_id.get(s.controller_id)
            assert controller is not None, "an open session without a controller"
            assert controller.left_at is None, "the controller is not present"
            assert controller.role == "rep", f"the controller's role is {controller.role}"
            for p in now.participants:
                if p.id != s.controller_id and p.user_id is not None:
                    assert p.role == "assistant", f"a second staff seat with role {p.role}"
            if s.helped_participant_id is not None:
                helped = by_id.get(s.helped_participant_id)
                assert helped is not None and helped.role == "customer", "helps a non-customer"
                assert helped.left_at is None, "helps a customer who left"
        else:
            assert s.ended_at is not None and s.end_reason
            assert all(p.left_at is not None for p in now.participants), "present after end"
            assert all(not a.is_running for a in now.activities), "an activity runs after end"

        for a in now.activities:
            owner = by_id[a.participant_id]
            if a.is_running:
                assert owner.left_at is None, f"{a.kind} of a participant who left still runs"
                if a.kind == "recording":
                    assert a.participant_id == s.controller_id, (
                        "someone else than the controller records"
                    )
                if owner.role == "assistant":
                    assert a.kind in (VOICE, "chat"), f"an assistant's {a.kind} runs"
            else:
                assert a.end_reason, f"ended {a.kind} without a reason"
                assert a.ended_at >= a.started_at, f"{a.kind} ended before it started"

        # A SessionEvent for every change: the counts by kind are the model's.
        assert now.events == +self.events, f"events {dict(now.events)} != {dict(self.events)}"
        # And they are one unbroken chain, whatever raced to write them (#16 item 3).
        verdict = audit.verify_session(s)
        assert verdict.verified, verdict.broken

        # And everything else is exactly what the model says.
        assert s.controller_id == self.controller
        assert s.helped_participant_id == self.helped
        assert (s.state == SessionState.ENDED) == self.ended
        if self.ended:
            assert s.end_reason == self.end_reason
        for pid, expected in self.seats.items():
            p = by_id[pid]
            assert (p.role, p.left_at is None, p.has_microphone) == (
                expected.role,
                expected.present,
                expected.mic,
            ), f"participant {pid}"
        assert {a.id: (a.kind, a.participant_id, a.end_reason) for a in now.activities} == {
            aid: (act.kind, act.owner, act.reason) for aid, act in self.acts.items()
        }

        # The other session is never touched by anything done in this one.
        assert load(self.other_session_id).fingerprint() == self.other_fingerprint


def test_session_state_machine(app):
    reps = [make_rep(name) for name in REP_NAMES]
    for rep in reps:
        rep.customer_cap = 1000  # the caps (R3.5) have tests of their own
    db.session.commit()
    rep_ids = [rep.id for rep in reps]
    stranger_id = make_rep("Stina").id
    run_state_machine_as_test(
        lambda: SessionMachine(rep_ids, stranger_id), settings=MACHINE_SETTINGS
    )


def test_two_transfers_at_once_record_one_handover(app):
    """Complements test_transfer_control.py's one-winner test: the loser is
    refused (not crashed), and the log, version and activities show exactly
    one handover."""
    support_session, rut = sessions.start_session(make_rep("Rut"))
    first = sessions.assist(make_rep("A"), support_session)
    second = sessions.assist(make_rep("B"), support_session)
    video = activities.start_activity(rut, "video")
    ids = {"rut": rut.id, "first": first.id, "second": second.id, "video": video.id}
    version_before = support_session.version
    events_before = load(support_session.id).events

    def transfer_to(target_id):
        def action():
            sessions.transfer_control(seat(ids["rut"]), seat(target_id))
            return target_id

        return action

    outcomes = run_together(app, transfer_to(ids["first"]), transfer_to(ids["second"]))
    winners = [o for o in outcomes if o in (ids["first"], ids["second"])]
    assert len(winners) == 1, outcomes
    # The loser either lost the compare-and-set (409) or came after the winner
    # and was no longer in control (403); never an unhandled error (None).
    assert [o for o in outcomes if o not in winners] in ([409], [403]), outcomes

    now = load(support_session.id)
    assert now.session.controller_id == winners[0]
    assert now.session.version == version_before + 1
    roles = {p.id: p.role for p in now.participants}
    assert roles == {
        ids["rut"]: "assistant",
        winners[0]: "rep",
        ({ids["first"], ids["second"]} - {winners[0]}).pop(): "assistant",
    }
    assert now.events - events_before == Counter(control_transferred=1, activities_ended=1)
    handover = db.session.scalar(
        sa.select(SessionEvent).where(
            SessionEvent.support_session_id == support_session.id,
            SessionEvent.kind == "control_transferred",
        )
    )
    assert handover.participant_id == ids["rut"]
    assert handover.data["to_participant_id"] == winners[0]
    (ended_video,) = now.activities
    assert ended_video.end_reason == "control_transferred"


def test_a_share_asked_for_as_control_moves_away_does_not_outlive_the_transfer(app):
    """DESIGN.md: two requests that race end with one winner. Here Rut's page
    asks to share the desktop while Rut's other request hands control to
    Helge; the share must either be refused or ended by the transfer (R5.4),
    not run afterwards under an assistant."""
    support_session, rut = sessions.start_session(make_rep("Rut"))
    helge = sessions.assist(make_rep("Helge"), support_session)
    support_session_id, rut_id, helge_id = support_session.id, rut.id, helge.id

    with app.app_context():  # request A: loads its actor, as viewer_of does
        actor = seat(rut_id)
        assert actor.is_controller
        with app.app_context():  # request B: the transfer commits first
            sessions.transfer_control(seat(rut_id), seat(helge_id))
            db.session.remove()
        with contextlib.suppress(ServiceError):
            activities.start_activity(actor, "desktop_sharing")
        db.session.remove()

    running = [
        (a.kind, a.participant_id) for a in load(support_session_id).activities if a.is_running
    ]
    assert running == [], "Rut's share runs after control went to Helge"
