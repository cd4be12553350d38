"""Log lines an operator can feed to a log store (#14 item 2): LOG_FORMAT=json
gives one JSON object per line, each with the request's id; no line, in
either format, holds an invitation token (the path /…/i/<token>)."""

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

# An invitation link's token, in a path or a full URL (join/i/… and support/i/…).
INVITATION_TOKEN = re.compile(r"(/i/)[A-Za-z0-9_-]+")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def redact(text: str) -> str:
    return INVITATION_TOKEN.sub(r"\1[…]", text)


class Redacting(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if has_request_context():
            line["request_id"] = g.get("request_id")
            line["path"] = redact(request.path)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(app: Flask) -> None:
    if not app.testing:
        handler = logging.StreamHandler()
        if app.config.get("LOG_FORMAT") == "json":
            handler.setFormatter(JsonLines())
        else:
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
        handler.addFilter(Redacting())
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(logging.INFO)
    for name in ("werkzeug", "gunicorn.access"):  # the dev server's access lines too
        logging.getLogger(name).addFilter(Redacting())

    @app.before_request
    def name_the_request():
        # A proxy's id ties our lines to its own; otherwise one of ours.
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex

    @app.after_request
    def tell_the_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
