"""Logging guards: request logs never carry query strings (a signed link may be there)."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?\S*")


class StripQueryFilter(logging.Filter):
    """Remove the query string from every string argument of a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("?…", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def install() -> None:
    """Attach the filter to werkzeug's request logger, once."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, StripQueryFilter) for f in logger.filters):
        logger.addFilter(StripQueryFilter())
