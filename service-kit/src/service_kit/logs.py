"""Log lines stamped with the request id: JSON, one object a line, for machines; or, in a
terminal, one readable line per event (the `log_format` setting: auto, json or text)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from service_kit.requestid import request_id_var

_STANDARD_ATTRIBUTES = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}

LogFormat = Literal["auto", "json", "text"]


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, service, logger, message, request id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            line["request_id"] = request_id
        line.update(_extras(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """One line per event for a person: local time, level, logger, message, then the
    extras the message does not already say as key=value, the request id last. A
    traceback follows on the next lines."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).astimezone()
        message = record.getMessage()
        fields = {k: v for k, v in _extras(record).items() if str(v) not in message.split()}
        request_id = request_id_var.get()
        if request_id:
            fields["request_id"] = request_id
        line = f"{when:%H:%M:%S}.{when.microsecond // 1000:03d} {record.levelname:<7} "
        line += f"{record.name}: {message}"
        if fields:
            line += "  " + " ".join(f"{k}={v}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def formatter_for(service: str, log_format: LogFormat) -> logging.Formatter:
    """`auto`: readable text when standard error is a terminal, else JSON."""
    if log_format == "auto":
        log_format = "text" if sys.stderr.isatty() else "json"
    return TextFormatter() if log_format == "text" else JsonFormatter(service)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (test capture, a redirected stream)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(service: str, level: str = "INFO", log_format: LogFormat = "auto") -> None:
    """Idempotent: one handler on the root logger (the last call's format); uvicorn's
    loggers go through it."""
    root = logging.getLogger()
    ours: list[logging.Handler] = [h for h in root.handlers if getattr(h, "_gatehouse", False)]
    if not ours:
        new = _StderrHandler()
        new._gatehouse = True  # type: ignore[attr-defined]
        root.addHandler(new)
        ours = [new]
    for handler in ours:
        handler.setFormatter(formatter_for(service, log_format))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # The middleware logs one access line per request, with the route and the request id.
    logging.getLogger("uvicorn.access").disabled = True
