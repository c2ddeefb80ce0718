"""Parameter specifications shared by several operations."""
from mesmerize.analysis.registry import Param

DATA_COLUMN = Param("data_column", "column", None, column_kind="numerical",
                    doc="Column of 1-D numerical arrays to process (default: the last output).")
