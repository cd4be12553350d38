"""The prefix of every Redis key and pub/sub channel of this deployment.

Pub/sub channels are server-wide whatever database number REDIS_URL names, and
two deployments (staging and production, or a database restored beside Redis
keys that survived) would otherwise hear each other's chat and reap each
other's presence deadlines (issue #19). REDIS_PREFIX names the namespace when
set; otherwise it is an id made once and kept in the database, so a recreated
database starts a namespace of its own.
"""

import secrets

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import Deployment

DEPLOYMENT_ROW = 1


def redis_namespace(app: Flask) -> str:
    prefix = app.config.get("REDIS_PREFIX")
    if prefix:
        return prefix
    with app.app_context():
        return f"supportcenter:{_deployment_id()}"


def _deployment_id() -> str:
    # Its own connection: the caller may be inside a request's transaction.
    select = sa.select(Deployment.namespace).where(Deployment.id == DEPLOYMENT_ROW)
    with db.engine.connect() as connection:
        existing = connection.scalar(select)
        if existing:
            return existing
        try:
            connection.execute(
                sa.insert(Deployment).values(id=DEPLOYMENT_ROW, namespace=secrets.token_hex(8))
            )
            connection.commit()
        except IntegrityError:  # another worker made it first: use theirs
            connection.rollback()
        return connection.scalar(select)
