from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints import activities, auth, dashboard, files, join, live, main, support

    for module in (activities, main, auth, support, join, dashboard, files, live):
        app.register_blueprint(module.bp)
