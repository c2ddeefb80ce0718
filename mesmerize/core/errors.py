"""Exceptions raised by the Mesmerize core.

Every error names the problem and, where possible, the fix. They subclass the builtin
exception a caller would naturally catch (``ValueError``, ``OSError``) so generic handlers keep
working.
"""


class MesmerizeError(Exception):
    """Base class of all Mesmerize errors."""


class MetaDataError(MesmerizeError, ValueError):
    """Imaging meta data is missing, malformed, or has a field of the wrong type."""


class ImageLoadError(MesmerizeError, OSError):
    """An image file cannot be read, or its content has the wrong shape."""


class ImageShapeError(ImageLoadError, ValueError):
    """An image array has the wrong number of dimensions, an empty axis, or a non-numeric dtype."""


class ROIError(MesmerizeError, ValueError):
    """An ROI is invalid (outside the image, too few vertices, unsupported type...)."""


class StimulusMapError(MesmerizeError, ValueError):
    """A stimulus map table is invalid (missing columns, start > end, outside the movie)."""


class ProjectError(MesmerizeError):
    """A project operation cannot be done (bad layout, missing files, invalid config)."""


class SampleIDError(ProjectError, ValueError):
    """An AnimalID / TrialID / SampleID is invalid or already exists."""


class ColumnTypeError(ProjectError, TypeError):
    """A value does not match the declared type of a project column."""


class ProjectLockedError(ProjectError):
    """Another process holds the write lock of a project or batch."""


class FormatVersionError(MesmerizeError, ValueError):
    """A file was written by a newer Mesmerize (or is not a Mesmerize file at all)."""


class FilterSyntaxError(MesmerizeError, ValueError):
    """A Project Browser filter expression cannot be parsed or applied to its column."""


class ConfigError(MesmerizeError, ValueError):
    """A system or project configuration value is invalid."""


class ParameterError(MesmerizeError, ValueError):
    """An engine or analysis parameter is out of range or of the wrong type."""
