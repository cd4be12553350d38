from flask_babel import LazyString


class ServiceError(Exception):
    """Refused input or permission; the blueprints turn it into a localized reply."""

    def __init__(self, message: LazyString | str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
