"""Domain errors that services raise and views turn into form errors or HTTP codes."""


class DomainError(Exception):
    """Something the user asked for cannot be done; the message says why, in plain words."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass
