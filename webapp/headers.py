"""Headers every response carries (#13 item 6): what the browser may load and
run, what it may leak, and what it may keep."""

from flask import Flask, request

# No inline script or style anywhere: htmx runs with allowEval and
# allowScriptTags off and without its indicator styles (base.html), and every
# script is a file under static/. Media tiles play MediaStreams and recordings
# play from blob: URLs. Sockets are same-origin ('self' covers ws: and wss:).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Invitation tokens ride in URLs: no page may hand its URL onwards.
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.endpoint != "static":
            # Pages show sessions, chat and people: a shared computer's back
            # button or disk cache must not show them to the next person.
            headers["Cache-Control"] = "no-store"
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
