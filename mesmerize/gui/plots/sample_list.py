"""``SampleList``: the list of the input's samples that per-sample plots (SpaceMap, Cross
Correlation) show; clicking one makes it the current sample."""
from __future__ import annotations

from typing import Sequence

from qtpy import QtCore, QtWidgets

from mesmerize.core.errors import ParameterError


class SampleList(QtWidgets.QListWidget):
    """SampleIDs; ``currentRowChanged`` says the current sample changed."""

    def current_sample(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.text()

    def set_current_sample(self, sample_id: str) -> None:
        """Make ``sample_id`` current; ``ParameterError`` when it is not listed."""
        matches = self.findItems(sample_id, QtCore.Qt.MatchExactly)
        if not matches:
            ids = [self.item(i).text() for i in range(self.count())]
            raise ParameterError(f"Sample {sample_id!r} is not in the input; choose one of "
                                 f"{ids}.")
        self.setCurrentItem(matches[0])

    def set_samples(self, sample_ids: Sequence[str]) -> None:
        """List ``sample_ids``, keeping the current sample when it is still there (else the
        first becomes current)."""
        current = self.current_sample()
        self.clear()
        self.addItems(list(sample_ids))
        if sample_ids:
            self.setCurrentRow(list(sample_ids).index(current) if current in sample_ids else 0)
