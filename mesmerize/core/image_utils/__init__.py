"""Image utilities for scripts (user guide: ``image_utils.auto_crop.crop(seq, params)``)."""
from . import auto_crop

__all__ = ["auto_crop"]
