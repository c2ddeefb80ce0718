"""HistoryTrace: the analysis log of a Transmission, one list of operations per data block.

Structure (``to_dict()``)::

    {"data_blocks": [block_id, ...],
     "history": {block_id: [{operation_name: {param: value, ...}}, ...], ...}}

Block ids are UUID strings (the values of the ``_BLOCK_`` column); ``uuid.UUID`` objects are
accepted wherever a block id is expected. Parameters are stored as plain JSON values (numpy
arrays become lists), so a HistoryTrace can always be written to a ``.trn`` file.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Iterable, Mapping, Sequence
from uuid import UUID, uuid4

import pandas as pd

from mesmerize.analysis.errors import (
    DataBlockNotFoundError, OperationNotFoundError, TransmissionError,
)
from mesmerize.analysis.json_safe import to_json_safe

BLOCK_COLUMN = "_BLOCK_"


def _block_str(block_id: str | UUID) -> str:
    if isinstance(block_id, UUID):
        return str(block_id)
    if isinstance(block_id, str):
        try:
            return str(UUID(block_id))
        except ValueError:
            raise DataBlockNotFoundError(
                f"{block_id!r} is not a data block id; block ids are the UUID strings of the "
                f"{BLOCK_COLUMN} column."
            ) from None
    raise TypeError(f"A data block id must be a UUID or its string, got {type(block_id).__name__}.")


class HistoryTrace:
    """Per-data-block log of the operations (and their full parameters) applied to the data."""

    def __init__(self, history: Mapping[str | UUID, Sequence[Mapping[str, Any]]] | None = None,
                 data_blocks: Iterable[str | UUID] | None = None) -> None:
        history = {} if history is None else history
        blocks = list(history) if data_blocks is None else list(data_blocks)
        self._data_blocks: list[str] = []
        self._history: dict[str, list[dict[str, dict]]] = {}
        for block in blocks:
            self.add_data_block(block)
        for block, operations in history.items():
            key = _block_str(block)
            if key not in self._history:
                raise TransmissionError(
                    f"History is given for data block {key}, which is not in data_blocks.")
            for entry in operations:
                if not isinstance(entry, Mapping) or len(entry) != 1:
                    raise TransmissionError(
                        f"Each history entry must be a dict {{operation: params}}, got {entry!r}.")
                (name, params), = entry.items()
                self._append(key, name, params)

    @property
    def data_blocks(self) -> list[str]:
        """The block ids, in the order they were added."""
        return list(self._data_blocks)

    @property
    def history(self) -> dict[str, list[dict[str, dict]]]:
        """A deep copy of ``{block_id: [{operation: params}, ...]}``."""
        return copy.deepcopy(self._history)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HistoryTrace):
            return NotImplemented
        return self._data_blocks == other._data_blocks and self._history == other._history

    def __repr__(self) -> str:
        return f"<HistoryTrace: {len(self._data_blocks)} data block(s)>"

    def copy(self) -> "HistoryTrace":
        return HistoryTrace.from_dict(self.to_dict())

    def create_data_block(self, dataframe: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        """Register a new block and return ``(copy of dataframe with _BLOCK_ set, block_id)``."""
        block_id = str(uuid4())
        self.add_data_block(block_id)
        out = dataframe.copy()
        out[BLOCK_COLUMN] = block_id
        return out, block_id

    def add_data_block(self, data_block_id: str | UUID) -> None:
        """Register an (empty) data block; raises ``TransmissionError`` if it exists already."""
        key = _block_str(data_block_id)
        if key in self._history:
            raise TransmissionError(f"Data block {key} already exists in this HistoryTrace.")
        self._data_blocks.append(key)
        self._history[key] = []

    def _append(self, key: str, operation: str, parameters: Mapping[str, Any]) -> None:
        if not isinstance(operation, str) or not operation:
            raise TransmissionError(
                f"An operation name must be a non-empty str, got {operation!r}.")
        if not isinstance(parameters, Mapping):
            raise TransmissionError(
                f"Parameters of operation {operation!r} must be a dict, got "
                f"{type(parameters).__name__}.")
        try:
            params = to_json_safe(dict(parameters))
        except TypeError as exc:
            raise TransmissionError(
                f"Parameters of operation {operation!r} cannot be logged: {exc}. Log plain "
                "numbers, strings, lists, dicts or numpy arrays.") from None
        self._history[key].append({operation: params})

    def add_operation(self, data_block_id: str | UUID, operation: str,
                      parameters: Mapping[str, Any]) -> None:
        """Append ``{operation: parameters}`` to one block's log, or to every block with "all"."""
        if isinstance(data_block_id, str) and data_block_id == "all":
            keys = list(self._data_blocks)
        else:
            keys = [self._require(data_block_id)]
        for key in keys:
            self._append(key, operation, parameters)

    def _require(self, data_block_id: str | UUID) -> str:
        key = _block_str(data_block_id)
        if key not in self._history:
            raise DataBlockNotFoundError(f"Data block {key} is not in this HistoryTrace.")
        return key

    def get_data_block_history(self, data_block_id: str | UUID) -> list[dict[str, dict]]:
        """The block's operations with their parameters, oldest first (a copy)."""
        return copy.deepcopy(self._history[self._require(data_block_id)])

    def get_all_data_blocks_history(self) -> dict[str, list[dict[str, dict]]]:
        return self.history

    def get_operations_list(self, data_block_id: str | UUID) -> list[str]:
        """The names of the block's operations, oldest first."""
        return [next(iter(entry)) for entry in self._history[self._require(data_block_id)]]

    def get_operation_params(self, data_block_id: str | UUID, operation: str) -> dict:
        """Parameters of the most recent ``operation`` applied to the block (a copy)."""
        for entry in reversed(self._history[self._require(data_block_id)]):
            if operation in entry:
                return copy.deepcopy(entry[operation])
        raise OperationNotFoundError(
            f"Operation {operation!r} was never applied to data block {_block_str(data_block_id)}.")

    def check_operation_exists(self, data_block_id: str | UUID, operation: str) -> bool:
        return operation in self.get_operations_list(data_block_id)

    def to_dict(self) -> dict:
        return {"data_blocks": list(self._data_blocks), "history": self.history}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "HistoryTrace":
        if not isinstance(d, Mapping) or "history" not in d or "data_blocks" not in d:
            raise TransmissionError(
                "A HistoryTrace dict needs the keys 'history' and 'data_blocks'.")
        return cls(history=d["history"], data_blocks=d["data_blocks"])

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "HistoryTrace":
        return cls.from_dict(json.loads(text))

    @classmethod
    def merge(cls, history_traces: Sequence["HistoryTrace"]) -> "HistoryTrace":
        """One trace holding every block of the inputs, each block's log kept as it was.

        A block present in several inputs must have the same log in each; diverging logs of a
        shared block raise ``TransmissionError`` (``Transmission.merge`` gives such rows new
        block ids first, so both logs survive).
        """
        merged = cls()
        for trace in history_traces:
            if not isinstance(trace, HistoryTrace):
                raise TransmissionError(f"Can only merge HistoryTrace objects, got {trace!r}.")
            for block in trace._data_blocks:
                if block in merged._history:
                    if merged._history[block] != trace._history[block]:
                        raise TransmissionError(
                            f"Data block {block} has different histories in the traces being "
                            "merged; merge the Transmissions with Transmission.merge, which "
                            "keeps both.")
                    continue
                merged._data_blocks.append(block)
                merged._history[block] = copy.deepcopy(trace._history[block])
        return merged
