from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints import auth, dashboard, join, live, main, support

    for module in (main, auth, support, join, dashboard, live):
        app.register_blueprint(module.bp)
