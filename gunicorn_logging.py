"""gunicorn's access log without invitation tokens, as JSON with LOG_FORMAT=json.

Loaded by the gunicorn master, before workers patch for gevent, so it imports
nothing of the app: the pattern is webapp/logs.py's INVITATION_TOKEN."""

import json
import os
import re
import time

from gunicorn.glogging import Logger

INVITATION_TOKEN = re.compile(r"(/i/)[A-Za-z0-9_-]+")


def redact(text: str) -> str:
    return INVITATION_TOKEN.sub(r"\1[…]", text)


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "q"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms

    def access(self, resp, req, environ, request_time):
        if os.environ.get("LOG_FORMAT") != "json":
            return super().access(resp, req, environ, request_time)
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": atoms.get("{x-request-id}o") or None,
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
        }
        self.access_log.info(json.dumps(line, ensure_ascii=False))
        return None
