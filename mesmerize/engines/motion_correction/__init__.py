"""Native NoRMCorre motion correction (rigid and piecewise-rigid), out of core, no Qt.

``correct(movie_path, params, output_dir, progress=None, executor=None)`` returns a
:class:`MotionCorrectionResult`; ``MotionCorrectionResult.load(output_dir)`` reads it back.
``shifts[t] = (dy, dx)`` is the displacement in pixels of frame t's content relative to the
template.
"""
from .engine import correct
from .params import MotionCorrectionParams
from .result import MotionCorrectionResult

__all__ = ["correct", "MotionCorrectionParams", "MotionCorrectionResult"]
