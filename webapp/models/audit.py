"""What retention leaves of a session's events, and the rule that keeps the
event log append-only on PostgreSQL (webapp/services/audit.py has the chain)."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.models.support_session import SessionEvent


class AuditTombstone(db.Model):
    """A signed note that retention removed a session's events: how many, up
    to which link of the chain. Without it, a session whose events are gone
    could not be told from one whose events someone deleted."""

    __tablename__ = "audit_tombstones"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    support_session_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_sessions.id"), index=True
    )
    session_number: so.Mapped[str] = so.mapped_column(sa.String(9))
    started_at: so.Mapped[datetime]
    ended_at: so.Mapped[datetime | None]
    event_count: so.Mapped[int]  # events this purge removed
    last_seq: so.Mapped[int]  # the chain's head when they went
    last_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    removed_at: so.Mapped[datetime]
    signature: so.Mapped[str] = so.mapped_column(sa.String(64))


# PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the event log and the
# tombstones. Retention may DELETE events, and only in a transaction where it
# set `supportcenter.purge` (SET LOCAL ends with the transaction). The
# migration that added the chain creates the same objects (a copy, as a
# migration must not change with the code); this is for create_all.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_NARGS > 0 AND TG_ARGV[0] = 'purge'
     AND current_setting('supportcenter.purge', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION USING
    MESSAGE = TG_OP || ' on ' || TG_TABLE_NAME || ' refused: the audit trail is append-only',
    HINT = 'Only retention (flask purge) removes events, whole sessions at a time.';
END
$$
"""
APPEND_ONLY_TRIGGERS = {
    SessionEvent.__tablename__: """
CREATE TRIGGER session_events_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON session_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only('purge')
""",
    AuditTombstone.__tablename__: """
CREATE TRIGGER audit_tombstones_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_tombstones
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
""",
}

sa.event.listen(
    db.metadata,
    "before_create",
    sa.DDL(APPEND_ONLY_FUNCTION).execute_if(dialect="postgresql"),
)
for _table in (SessionEvent.__table__, AuditTombstone.__table__):
    sa.event.listen(
        _table,
        "after_create",
        sa.DDL(APPEND_ONLY_TRIGGERS[_table.name]).execute_if(dialect="postgresql"),
    )
sa.event.listen(
    db.metadata,
    "after_drop",
    sa.DDL("DROP FUNCTION IF EXISTS audit_append_only()").execute_if(dialect="postgresql"),
)
