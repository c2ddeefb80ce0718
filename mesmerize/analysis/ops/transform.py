"""Transform node: LDA (sklearn.discriminant_analysis.LinearDiscriminantAnalysis).

Features of a row are its ``train_data`` columns side by side: a column of single numbers gives
one feature, a column of equal-length arrays ``(T,)`` gives T features. LDA has four outputs
(T, coef, means, predicted), so it is a ``NodeSpec``; every output logs ``lda`` with all the
parameters, the classes and the training score.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mesmerize.analysis.arrays import rows_to_cells, stack_column
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.analysis.ops.node_spec import node_spec
from mesmerize.analysis.registry import Param
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError


def feature_matrix(df: pd.DataFrame, columns: list[str], param: str) -> np.ndarray:
    """``(n_rows, n_features)`` float64 features from number and array columns."""
    if not columns:
        raise ParameterError(f"LDA: parameter {param!r} must name one or more data columns.")
    parts = []
    for column in columns:
        if column not in df.columns:
            raise ParameterError(
                f"LDA: parameter {param!r}: {column!r} is not a column of the input; choose "
                f"from {list(df.columns)}.")
        if pd.api.types.is_numeric_dtype(df[column]):
            parts.append(df[column].to_numpy(dtype=np.float64)[:, None])
        else:
            parts.append(stack_column(df, column, param=param, dtype=np.float64))
    x = np.hstack(parts)
    if not np.isfinite(x).all():
        raise ParameterError(f"LDA: parameter {param!r}: the data contain NaN or inf.")
    return x


def _logged(t: Transmission, record: dict, df: pd.DataFrame, last_output: str) -> Transmission:
    trace = t.history_trace.copy()
    present = set(df[BLOCK_COLUMN].astype(str)) if BLOCK_COLUMN in df.columns else set()
    for block in trace.data_blocks:
        if block in present:
            trace.add_operation(block, "lda", record)
    return t.with_df(df, trace, last_output=last_output)


def _class_table(t: Transmission, record: dict, classes: np.ndarray, column: str,
                 values: np.ndarray) -> Transmission:
    df = pd.DataFrame({"classes": pd.Series(list(classes), dtype=object),
                       column: rows_to_cells(values)})
    out = Transmission.from_dataframe(df, parameters={"source": "LDA"}, proj_path=t.proj_path,
                                      last_output=column, last_unit=None)
    out.history_trace.add_operation(out.history_trace.data_blocks[0], "lda", record)
    return out


@node_spec("LDA", "Transform", params=(
    Param("train_data", "columns", [], doc="Column(s) holding the input features."),
    Param("labels", "column", None, column_kind="categorical",
          doc="Column of categorical labels to train to."),
    Param("solver", "choice", "svd", choices=("svd", "lsqr", "eigen"),
          doc="svd: singular value decomposition; lsqr: least squares; eigen: eigenvalue "
              "decomposition."),
    Param("shrinkage", "choice", "none", choices=("none", "auto", "value"),
          doc="Shrinkage of the covariance estimate (lsqr and eigen solvers): auto = "
              "Ledoit-Wolf, value = shrinkage_val."),
    Param("shrinkage_val", "float", 0.5, min=0.0, max=1.0, doc="Shrinkage if shrinkage=value."),
    Param("n_components", "int", None, min=1, optional=True,
          doc="Number of components of the transform (None: n_classes - 1 or n_features)."),
    Param("tol", "int", -4, max=0, doc="Tolerance exponent of the svd solver: tol = 10**tol."),
    Param("predict_on", "columns", [],
          doc="Column(s) of the predict input to predict labels for (default: train_data)."),
), inputs=("train_data", "predict"), outputs=("T", "coef", "means", "predicted"),
    input_kinds=("transmission", "transmission"),
    output_kinds=("transmission",) * 4, optional_inputs=("predict",))
def lda(train: Transmission, predict: Transmission | None, p: dict) -> dict[str, Any]:
    """Linear Discriminant Analysis. Returns ``{"T", "coef", "means", "predicted", "score"}``:
    T is the training Transmission with _LDA_TRANSFORM (the transformed data, n_components
    values per row; None with the lsqr solver, which cannot transform) and _LDA_DFUNC
    (decision function per row: one value per class, or one for two classes); coef has one
    row per class (``classes``, _COEF weight vector; for two classes one row, the second
    class); means one row per class (``classes``, _MEANS); predicted (None without the
    predict input) the predict input with LDA_PREDICTED_LABELS; score the mean training
    accuracy."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    if p["labels"] is None or p["labels"] not in train.df.columns:
        raise ParameterError(
            f"LDA: parameter 'labels' must be a column of the train_data input, got "
            f"{p['labels']!r}.")
    if p["shrinkage"] != "none" and p["solver"] == "svd":
        raise ParameterError(
            "LDA: parameter 'shrinkage' needs the lsqr or eigen solver; the svd solver does not "
            "support shrinkage.")
    x = feature_matrix(train.df, p["train_data"], "train_data")
    y = train.df[p["labels"]]
    if y.isna().any():
        raise ParameterError(f"LDA: parameter 'labels': column {p['labels']!r} has missing "
                             "labels; drop those rows first (DropNa).")
    y = y.astype(str).to_numpy()
    n_classes = np.unique(y).size
    if n_classes < 2:
        raise ParameterError("LDA: parameter 'labels' needs at least two classes.")
    max_components = min(n_classes - 1, x.shape[1])
    if p["n_components"] is not None and p["n_components"] > max_components:
        raise ParameterError(
            f"LDA: parameter 'n_components' must be <= {max_components} (classes - 1 and "
            f"features), got {p['n_components']}.")
    shrinkage = {"none": None, "auto": "auto", "value": p["shrinkage_val"]}[p["shrinkage"]]
    model = LinearDiscriminantAnalysis(solver=p["solver"], shrinkage=shrinkage,
                                       n_components=p["n_components"], tol=10.0 ** p["tol"])
    model.fit(x, y)
    score = float(model.score(x, y))
    record = {**p, "classes": model.classes_.tolist(), "score": score}
    df = train.df.copy()
    if p["solver"] == "lsqr":
        df["_LDA_TRANSFORM"] = np.full(len(df), None, dtype=object)
    else:
        df["_LDA_TRANSFORM"] = rows_to_cells(model.transform(x))
    dfunc = model.decision_function(x)
    df["_LDA_DFUNC"] = rows_to_cells(dfunc.reshape(len(df), -1))
    coef_classes = model.classes_[1:] if n_classes == 2 else model.classes_
    out = {"T": _logged(train, record, df, "_LDA_TRANSFORM"),
           "coef": _class_table(train, record, coef_classes, "_COEF", model.coef_),
           "means": _class_table(train, record, model.classes_, "_MEANS", model.means_),
           "predicted": None, "score": score}
    if predict is not None:
        columns = p["predict_on"] or p["train_data"]
        x_new = feature_matrix(predict.df, columns, "predict_on")
        if x_new.shape[1] != x.shape[1]:
            raise TransmissionError(
                f"LDA: predict_on gives {x_new.shape[1]} features per row but the model was "
                f"trained on {x.shape[1]}.")
        pdf = predict.df.copy()
        pdf["LDA_PREDICTED_LABELS"] = model.predict(x_new)
        out["predicted"] = _logged(predict, record, pdf, "LDA_PREDICTED_LABELS")
    return out
