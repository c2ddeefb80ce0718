"""Run one batch item: ``python -m mesmerize.cli.batch_runner BATCH_DIR UUID [--work-dir DIR]``.

Loads the item, runs its engine on the item's input movie with a progress callback that prints
JSON lines (``@mesmerize-progress {"fraction": f, "message": m}``), writes the outputs into the
item's output folder and records the item's status (finished, failed with the traceback, or
aborted on SIGTERM) in the batch table. With ``--work-dir`` the engine works in a fast scratch
directory and the outputs are moved into the batch afterwards (status "moving" meanwhile).
Exit status: 0 finished, 1 failed or aborted, 2 bad arguments (no such batch or item).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, Sequence

from mesmerize.core.batch import kinds
from mesmerize.core.batch.batch import OUTPUT_WORK_ENV, Batch
from mesmerize.core.batch.item import ABORTED, FAILED, FINISHED, MOVING, RUNNING, utc_now_iso
from mesmerize.core.batch.launch import PROGRESS_PREFIX
from mesmerize.core.batch.processes import process_info
from mesmerize.core.batch.work_env_store import write_work_env_info
from mesmerize.core.errors import MesmerizeError


class ItemTerminated(BaseException):
    """Raised in the runner when it receives SIGTERM (abort, ``scancel``)."""


def print_progress(fraction: float, message: str = "") -> None:
    """Report progress to the parent: one JSON line on stdout."""
    report = {"fraction": min(max(float(fraction), 0.0), 1.0), "message": str(message)}
    print(PROGRESS_PREFIX + json.dumps(report), flush=True)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise ItemTerminated()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mesmerize.cli.batch_runner",
                                     description="Run one Mesmerize batch item.")
    parser.add_argument("batch_dir", help="the batch directory")
    parser.add_argument("uuid", help="UUID of the item to run")
    parser.add_argument("--work-dir", default=None,
                        help="process in this directory, then move the output into the batch")
    return parser


def _move_outputs(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        target = dst / entry.name
        if target.is_dir():
            shutil.rmtree(target)
        shutil.move(str(entry), str(target))


def run_item(batch: Batch, uuid: str, work_dir: str | None) -> None:
    """Run item ``uuid`` of ``batch`` and record its outputs (exceptions propagate)."""
    final_dir = batch.output_dir(uuid)
    shutil.rmtree(final_dir, ignore_errors=True)
    if not work_dir:
        final_dir.mkdir(parents=True)
        outputs = _run_engine(batch, uuid, batch.input_movie_path(uuid), final_dir)
    else:
        scratch = Path(work_dir) / f"mesmerize_{uuid}"
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            (scratch / "output").mkdir(parents=True)
            movie = batch.input_movie_path(uuid)
            local_movie = scratch / movie.name
            shutil.copyfile(movie, local_movie)
            outputs = _run_engine(batch, uuid, local_movie, scratch / "output")
            batch.update_item(uuid, status=MOVING)
            _move_outputs(scratch / "output", final_dir)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    batch.update_item(uuid, status=FINISHED, finished=utc_now_iso(), outputs=outputs,
                      error=None, process=None)


def _run_engine(batch: Batch, uuid: str, movie: Path, engine_dir: Path) -> dict[str, Any]:
    """Run the engine into ``engine_dir``; return the outputs as they will be stored once the
    content of ``engine_dir`` is in the item's output folder."""
    item = batch.get_item(uuid)
    engine = kinds.resolve_engine(item.module)
    env_info = batch.input_work_env_info(uuid)
    kind = kinds.get_kind(item.module)
    extra = {}
    fps = (env_info.get("meta") or {}).get("fps")
    if kind.fps_kwarg is not None and fps is not None:
        extra[kind.fps_kwarg] = float(fps)
    result = engine(str(movie), dict(item.params), str(engine_dir), progress=print_progress,
                    **extra)
    final_dir = batch.output_dir(uuid)
    outputs: dict[str, Any] = {"dir": batch.relative(final_dir)}
    if kind.output_movie_attr is not None:
        produced = Path(getattr(result, kind.output_movie_attr)).resolve()
        outputs["movie"] = batch.relative(final_dir / produced.relative_to(engine_dir.resolve()))
    history = list(env_info.get("history_trace") or []) + [{item.module: item.params}]
    write_work_env_info(engine_dir / Path(OUTPUT_WORK_ENV).name,
                        {**env_info, "history_trace": history})
    outputs["work_env"] = batch.relative(batch.path / uuid / OUTPUT_WORK_ENV)
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    signal.signal(signal.SIGTERM, _on_sigterm)
    uuid = args.uuid
    try:
        batch = Batch.open(args.batch_dir)
        batch.update_item(uuid, status=RUNNING, process=process_info(os.getpid()),
                          started=utc_now_iso(), error=None)
    except MesmerizeError as exc:
        print(f"batch_runner: error: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        run_item(batch, uuid, args.work_dir)
    except ItemTerminated:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        batch.update_item(uuid, status=ABORTED, finished=utc_now_iso(), process=None,
                          error="Aborted: the item runner received SIGTERM.")
        return 1
    except Exception:
        text = traceback.format_exc()
        print(text, file=sys.stderr, flush=True)
        batch.update_item(uuid, status=FAILED, finished=utc_now_iso(), process=None, error=text)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
