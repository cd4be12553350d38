"""a tamper-evident audit trail: chained session events, sealed heads, tombstones

Revision ID: 9e6fecf3b402
Revises: 82625d27eead
Create Date: 2026-12-03 04:10:00

Existing events are chained in the order they were written (by id), and each
session's head is sealed with the key the app derives from SECRET_KEY, so
run this with the deployment's own SECRET_KEY (`flask --app wsgi db upgrade`
does). On PostgreSQL the events and tombstones then refuse UPDATE, DELETE
and TRUNCATE, except DELETE by retention (webapp/models/audit.py).
"""
import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '9e6fecf3b402'
down_revision = '82625d27eead'
branch_labels = None
depends_on = None

# A frozen copy of format 1 of webapp/services/audit.py: what this migration
# computes must not change when that module does.
GENESIS = "0" * 64
CHUNK = 500

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
APPEND_ONLY_TRIGGERS = [
    """
CREATE TRIGGER session_events_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON session_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only('purge')
""",
    """
CREATE TRIGGER audit_tombstones_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_tombstones
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
""",
]

sessions_table = sa.table(
    'support_sessions',
    sa.column('id', sa.Integer),
    sa.column('number', sa.String),
    sa.column('audit_seq', sa.Integer),
    sa.column('audit_head', sa.String),
    sa.column('audit_seal', sa.String),
)
events_table = sa.table(
    'session_events',
    sa.column('id', sa.Integer),
    sa.column('support_session_id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('participant_id', sa.Integer),
    sa.column('data', sa.JSON),
    sa.column('created_at', sa.DateTime),
    sa.column('seq', sa.Integer),
    sa.column('prev_hash', sa.String),
    sa.column('hash', sa.String),
)


def _canonical(fields):
    return json.dumps(
        {"v": 1, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode()


def _event_hash(support_session_id, seq, prev_hash, event):
    return hashlib.sha256(_canonical({
        "type": "event",
        "session": support_session_id,
        "seq": seq,
        "prev": prev_hash,
        "kind": event.kind,
        "participant": event.participant_id,
        "at": event.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": event.data,
    })).hexdigest()


def _seal(key, support_session_id, number, seq, head):
    fields = {"type": "head", "session": support_session_id, "number": number, "seq": seq,
              "head": head or GENESIS}
    return hmac.new(key, _canonical(fields), hashlib.sha256).hexdigest()


def _audit_key():
    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("SECRET_KEY is needed to seal the event chains: set it and run again")
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"supportcenter audit trail", hashlib.sha256).digest()


def _backfill():
    bind = op.get_bind()
    key = _audit_key()
    after = 0
    while heads := bind.execute(
        sa.select(sessions_table.c.id, sessions_table.c.number)
        .where(sessions_table.c.id > after)
        .order_by(sessions_table.c.id)
        .limit(CHUNK)
    ).all():
        after = heads[-1].id
        events = {head.id: [] for head in heads}
        for event in bind.execute(
            sa.select(events_table)
            .where(events_table.c.support_session_id.in_(list(events)))
            .order_by(events_table.c.support_session_id, events_table.c.id)
        ):
            events[event.support_session_id].append(event)
        links, seals = [], []
        for head in heads:
            seq, last_hash = 0, None
            for event in events[head.id]:
                seq, prev_hash = seq + 1, last_hash or GENESIS
                last_hash = _event_hash(head.id, seq, prev_hash, event)
                links.append({"event_id": event.id, "seq": seq, "prev_hash": prev_hash,
                              "hash": last_hash})
            seals.append({"session_id": head.id, "seq": seq, "head": last_hash,
                          "seal": _seal(key, head.id, head.number, seq, last_hash)})
        if links:
            bind.execute(
                events_table.update()
                .where(events_table.c.id == sa.bindparam("event_id"))
                .values(seq=sa.bindparam("seq"), prev_hash=sa.bindparam("prev_hash"),
                        hash=sa.bindparam("hash")),
                links,
            )
        bind.execute(
            sessions_table.update()
            .where(sessions_table.c.id == sa.bindparam("session_id"))
            .values(audit_seq=sa.bindparam("seq"), audit_head=sa.bindparam("head"),
                    audit_seal=sa.bindparam("seal")),
            seals,
        )


def upgrade():
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_seq', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('audit_head', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('audit_seal', sa.String(length=64), nullable=True))
    with op.batch_alter_table('session_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_table('audit_tombstones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('support_session_id', sa.Integer(), nullable=False),
    sa.Column('session_number', sa.String(length=9), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['support_session_id'], ['support_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_tombstones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_tombstones_support_session_id'), ['support_session_id'], unique=False)

    _backfill()

    with op.batch_alter_table('session_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_session_events_seq', ['support_session_id', 'seq'])

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY_FUNCTION)
        for trigger in APPEND_ONLY_TRIGGERS:
            op.execute(trigger)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_tombstones_append_only ON audit_tombstones")
        op.execute("DROP TRIGGER IF EXISTS session_events_append_only ON session_events")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    with op.batch_alter_table('session_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_session_events_seq', type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    with op.batch_alter_table('audit_tombstones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_tombstones_support_session_id'))
    op.drop_table('audit_tombstones')
    with op.batch_alter_table('support_sessions', schema=None) as batch_op:
        batch_op.drop_column('audit_seal')
        batch_op.drop_column('audit_head')
        batch_op.drop_column('audit_seq')
