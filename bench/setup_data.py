"""Creates the benchmark's sessions in DATABASE_URL and prints, as JSON, the
signed session cookies that seat each simulated browser."""

import json
import sys

from webapp import create_app
from webapp.extensions import db
from webapp.services import sessions
from webapp.services.users import create_user, start_login


def main(session_count: int, per_session: int) -> None:
    app = create_app()
    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        rep = create_user("bench-rep@example.com", "Bench Rep", "rep", "bench-password")
        rep.customer_cap = 10_000  # one rep holds every bench session (R3.5 caps)
        plan = {"cookie_name": app.config["SESSION_COOKIE_NAME"], "sessions": []}
        for _ in range(session_count):
            support_session, _seat = sessions.start_session(rep)
            cookies, seats = [], []
            for index in range(per_session):
                customer, secret = sessions.join_as_customer(support_session, f"Customer {index}")
                cookies.append(serializer.dumps({"seats": {str(support_session.id): secret}}))
                seats.append(customer.id)
            plan["sessions"].append({"id": support_session.id, "cookies": cookies, "seats": seats})
        # The rep's login for the dashboard's requests per second: a cookie
        # names a login that is still going (user id and its token).
        start_login(rep)
        plan["dashboard"] = {
            "path": f"/dashboard/{plan['sessions'][0]['id']}",
            "cookie": serializer.dumps({"_user_id": rep.get_id(), "_fresh": True}),
        }
        db.session.remove()
    json.dump(plan, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
