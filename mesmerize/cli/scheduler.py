"""``mesmerize-scheduler -b <batch> -i <start item> -t <start time>``: process a batch later.

``-t`` takes a 24 h time (``23:00``, ``7:30``, ``7:30:15``: the next time the clock shows it) or
a date and time (``2026-02-28 23:00``, or ``2026-02-28T23:00``), in local time. The scheduler
checks the batch and the item first, waits until the time, then processes the batch from that
item, printing the items' output. Exit status: 0 when every processed item finished, 1 when one
did not or the batch cannot be processed, 2 for bad arguments (the usage is printed).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime, timedelta
from typing import Callable, Sequence

from mesmerize.core.batch.batch import Batch
from mesmerize.core.batch.item import FINISHED
from mesmerize.core.batch.runner import BatchRunner
from mesmerize.core.errors import MesmerizeError

USAGE = "mesmerize-scheduler -b <batch> -i <start item> -t <start time>"

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_start_time(text: str, now: datetime) -> datetime:
    """The start time ``text`` means at ``now``; ``ValueError`` naming the accepted forms.

    ``"H:MM"``/``"HH:MM"`` (optionally ``":SS"``): today at that time, or tomorrow if it has
    passed. ``"YYYY-MM-DD HH:MM[:SS]"``: that moment, which must not be in the past.
    """
    text = text.strip()
    clock = _CLOCK.match(text)
    date_time = _DATE_TIME.match(text)
    if not (clock or date_time):
        raise ValueError(
            f"cannot read the start time {text!r}: use a 24 h time such as 23:00 or 7:30, or a "
            "date and time such as '2026-02-28 23:00'"
        )
    try:
        if clock:
            hour, minute, second = (int(g or 0) for g in clock.groups())
            start = now.replace(hour=hour, minute=minute, second=second, microsecond=0)
        else:
            start = datetime(*(int(g or 0) for g in date_time.groups()))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid time ({exc})") from None
    if clock:
        return start if start > now else start + timedelta(days=1)
    if start < now.replace(microsecond=0):
        raise ValueError(f"the start time {text!r} is in the past")
    return start


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mesmerize-scheduler", usage=USAGE,
        description="Process a Mesmerize batch, starting from one item, at a later time.",
        epilog="examples of start times: 23:00  7:30  '2026-02-28 23:00' (24 h clock)",
    )
    parser.add_argument("-b", dest="batch", required=True, help="full path of the batch directory")
    parser.add_argument("-i", dest="item", required=True,
                        help="UUID of the batch item to start from")
    parser.add_argument("-t", dest="time", required=True, help="time at which to start the batch")
    return parser


def _print_output(uuid: str, line: str) -> None:
    print(line, flush=True)


def _print_finished(uuid: str, status: str) -> None:
    print(f"item {uuid}: {status}", flush=True)


def main(argv: Sequence[str] | None = None, now: Callable[[], datetime] = datetime.now,
         sleep: Callable[[float], None] = time.sleep) -> int:
    """Entry point; returns the exit status. ``now`` and ``sleep`` are the clock (tests)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        start = parse_start_time(args.time, now())
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"mesmerize-scheduler: error: {exc}", file=sys.stderr)
        return 2
    try:
        batch = Batch.open(args.batch)
        start_ix = batch.index_of(args.item)
    except (MesmerizeError, OSError) as exc:
        print(f"mesmerize-scheduler: error: {exc}", file=sys.stderr)
        return 1
    print(f"Batch {batch.path} will be processed from item {args.item} (position {start_ix}) "
          f"at {start:%Y-%m-%d %H:%M}.", flush=True)
    while (remaining := (start - now()).total_seconds()) > 0:
        sleep(min(remaining, 60.0))
    try:
        runner = BatchRunner(batch, start_ix)
    except MesmerizeError as exc:
        print(f"mesmerize-scheduler: error: {exc}", file=sys.stderr)
        return 1
    runner.output.connect(_print_output)
    runner.item_finished.connect(_print_finished)
    runner.run()
    if runner.error is not None:
        print(f"mesmerize-scheduler: error: {runner.error}", file=sys.stderr)
        return 1
    return 0 if all(s == FINISHED for s in runner.results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
