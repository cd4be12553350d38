from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints import (
        acd,
        activities,
        admin,
        admin_queues,
        auth,
        consent,
        dashboard,
        feedback,
        files,
        history,
        join,
        live,
        live_user,
        main,
        multi,
        ops,
        replies,
        reports,
        support,
    )

    for module in (
        activities,
        admin,
        main,
        auth,
        support,
        join,
        dashboard,
        files,
        live,
        live_user,
        multi,
        ops,
        replies,
        history,
        reports,
        consent,
        feedback,
    ):
        app.register_blueprint(module.bp)
    for module in (acd, admin_queues):  # WebACD (R6)
        app.register_blueprint(module.bp)
