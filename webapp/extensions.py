"""Extensions made once, unbound, so that models and services import them freely."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Session

from webapp.addresses import client_key


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def reads_on_their_own() -> None:
    """Runs the rest of this session's statements, until it ends, without a
    transaction around them: psycopg sends BEGIN by itself and the end sends
    ROLLBACK, two of the four round trips of a one-statement read (#18).
    Only on PostgreSQL, whose READ COMMITTED gives each statement a view of
    its own in a transaction too; SQLite's would hold one view for all. For
    paths that only read, called before they read anything; the pool resets
    the connection when the session ends."""
    session = db.session()
    if session.in_transaction() or db.engine.dialect.name != "postgresql":
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


READS_ONLY = "reads_only"  # in a session's info: it belongs to a page that only reads


def reads_only() -> None:
    """For a whole request that writes nothing (web.only_reads): its reads
    run on their own, and a write in it raises. Without a transaction each
    statement would commit by itself, and an error halfway could not undo
    the first half."""
    reads_on_their_own()
    db.session().info[READS_ONLY] = True


@event.listens_for(Session, "before_flush")
def _refuse_writes_of_pages_that_only_read(session, _flush_context, _instances) -> None:
    if session.info.get(READS_ONLY):
        raise RuntimeError("this request only reads (web.only_reads), yet it wrote")


migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
babel = Babel()
csrf = CSRFProtect()


def rate_limit_key() -> str:
    """The client's address (an IPv6 one as its /64), within this deployment's
    namespace: with Redis the counters live beside every other deployment's
    on that server (#19)."""
    return namespaced_key(client_key())


def namespaced_key(key: str) -> str:
    namespace = current_app.extensions["live"].redis_namespace
    return f"{namespace}/{key}" if namespace else key


limiter = Limiter(key_func=rate_limit_key, default_limits=[])
sock = Sock()
