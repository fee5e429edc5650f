"""The one error tree. The CLI prints ``str(error)`` on one line, then the hint."""

from __future__ import annotations


class SyndicateError(Exception):
    """Base of every error the product raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(SyndicateError):
    """Bad input from an operator or a reader: config, article, address, CSV row, form.

    ``field`` names the key, column or form field at fault ("" when no one field
    is) and ``reason`` says what is wrong with it, so callers pick the field out
    without reading the message. Given only those two, the message is
    ``"{field}: {reason}"``.
    """

    exit_code = 2
    field: str = ""

    def __init__(
        self, message: str = "", hint: str = "", *, field: str | None = None, reason: str = ""
    ) -> None:
        if field is not None:
            self.field = field
        self.reason = reason or message
        super().__init__(message or f"{self.field}: {reason}", hint)


class ConfigError(InputError):
    """The config file is missing or invalid; ``problems`` holds one line per mistake."""

    def __init__(self, problems: list[str], hint: str = "") -> None:
        self.problems = problems
        super().__init__(
            "\n".join(problems), hint or "fix the keys above and run `syndicate config check`"
        )


class OperationalError(SyndicateError):
    """Something outside the operator's input failed: database, SMTP relay, disk."""

    exit_code = 1
