from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints import (
        activities,
        auth,
        dashboard,
        files,
        join,
        live,
        live_user,
        main,
        support,
    )

    for module in (activities, main, auth, support, join, dashboard, files, live, live_user):
        app.register_blueprint(module.bp)
