import sys

from webapp import create_app
from webapp.config import ConfigError, ProductionConfig

try:
    app = create_app(ProductionConfig)
except ConfigError as error:
    # One line for the operator. Status 3 is gunicorn's "worker failed to
    # boot": it stops, instead of restarting workers that can never start.
    print(f"Supportcenter will not start: {error}", file=sys.stderr)
    sys.exit(3)
