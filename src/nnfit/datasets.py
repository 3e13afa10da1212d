"""Real data: a person's CSV file and the time series that statsmodels ships.

Both arrive as a `Table`: float64 x and y with their names, how many rows were
dropped for missing values, and where they came from. `split` cuts a table at
an x value into a training part and a held-out part, the extrapolation test.

Dates and times as x become decimal years (1990-07-02T12:00 is 1990.5): the
number a person reads on a time axis, the unit `--train-until` takes, and the
same unit for a CSV of dates, a CSV of plain years and the series below. Times
with a UTC offset are converted to UTC first; times without one are taken as
they are. A year holds 365 or 366 days, so a day is 1/365 or 1/366 of a year.

CSV rules, in the order they apply:

- The text is UTF-8 (a BOM is fine), UTF-16 with a BOM, or Windows-1252.
- Blank lines and lines starting with # are skipped; row numbers in messages
  are line numbers in the file, counted from 1 as an editor shows them.
- The separator is sniffed: tab, semicolon, comma or runs of spaces. With a
  semicolon separator a decimal comma (3,14) is read as a decimal point.
- The first row is a header when one of its cells is not a number (nor a
  date) in a column whose other values are, or when all of its cells are text.
- Empty cells and NA, N/A, null, None, ., -, ? are missing: the row is dropped
  and counted; so is a short row, whose last columns are left out. A row
  with more values than the file has columns is refused, naming the row: a
  separator inside an unquoted value (a decimal comma in a comma file) has
  split it, and which of its values is x cannot be known. Empty values past
  the last column (a trailing separator) are fine.
- "nan" and "inf" are not missing but bad values: nnfit refuses them, naming
  the row, since writing one usually means a broken export.
- Known limit: a quoted cell may not hold a line break.
"""

from __future__ import annotations

import calendar
import codecs
import csv
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import cache
from importlib import import_module
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from nnfit.errors import DataError, ShapeError

MIN_ROWS = 3
MISSING = frozenset({"", "na", "n/a", "null", "none", ".", "-", "?"})
# How many rows below the first decide the separator and the header.
SNIFF_ROWS = 50

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DATE = re.compile(
    r"(\d{4})-(\d{2})(?:-(\d{2}))?"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r" ?(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, eq=False)
class Table:
    """Measured pairs (x, y) ready to fit, in the user's units.

    Attributes:
        x: shape (N,), float64, in file order (not sorted; repeats allowed).
            Dates and times are decimal years (see the module docstring).
        y: shape (N,), float64.
        x_name, y_name: the columns' names, for axis labels.
        dropped: rows of the source dropped for a missing x or y.
        dates: whether x was dates or times, now decimal years.
        source: the file name or the series name.
        named: whether x_name and y_name come from the file's header (else
            they only number the columns).

    Example:
        >>> table = Table(np.arange(3.0), np.ones(3), "t", "v")
        >>> len(table)
        3
    """

    x: np.ndarray
    y: np.ndarray
    x_name: str = "x"
    y_name: str = "y"
    dropped: int = 0
    dates: bool = False
    source: str = ""
    named: bool = False

    def __post_init__(self) -> None:
        for name in ("x", "y"):
            values = np.array(getattr(self, name), dtype=np.float64)
            values.setflags(write=False)
            object.__setattr__(self, name, values)
        if self.x.ndim != 1 or self.x.shape != self.y.shape:
            raise ShapeError(
                f"Table x has shape {self.x.shape} and y has shape {self.y.shape}; "
                "give both as 1-D arrays of the same length."
            )

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def x_label(self) -> str:
        """The x axis label: the column's name, with the unit for dates."""
        return f"{self.x_name} (decimal year)" if self.dates else self.x_name


# --- reading a CSV file ------------------------------------------------------


def read_csv(
    path: str | os.PathLike[str],
    x: str | int | None = None,
    y: str | int | None = None,
) -> Table:
    """Read two columns of a CSV file as x and y.

    Args:
        path: the file; comma, semicolon, tab or space separated.
        x: the x column: its header name (exact, else ignoring case), or its
            0-based index as an int or a string such as "0"; a header name
            wins over an index. None takes the first column.
        y: the y column, the same way. None takes the second column.

    Returns:
        A Table with rows holding a missing x or y dropped and counted.

    Raises:
        DataError: one sentence naming the file, and the column and row where
            one is at fault.

    Example:
        >>> table = read_csv("co2.csv", x="date", y="ppm")  # doctest: +SKIP
        >>> table.x[:2]  # decimal years  # doctest: +SKIP
        array([1958.23, 1958.25])
    """
    label = str(path)
    rows = _content_rows(_read_text(Path(path), label), label)
    header = _header(rows)
    data = rows[1:] if header is not None else rows
    width = _check_widths(data, header, label)
    x_index = _column_index(x, 0, header, width, label, "x")
    y_index = _column_index(y, 1, header, width, label, "y")
    if x_index == y_index:
        name = _column_name(header, x_index)
        raise DataError(
            f"{label}: x and y are both column {name}; choose two different columns."
        )
    return _table(data, header, x_index, y_index, label, Path(path).name)


def _check_widths(data, header: list[str] | None, label: str) -> int:
    """The number of columns: the header's, else the rows' most common
    width; refuse a row that holds a value past it."""
    widths = [len(fields) for _, fields in data] or [0]
    width = len(header) if header else max(set(widths), key=widths.count)
    for number, fields in data:
        if any(fields[width:]):
            raise DataError(
                f"{label}, row {number} holds {len(fields)} values but the file "
                f"has {width} columns; quote a value that holds the separator "
                "(a decimal comma in a comma-separated file), or remove the extra "
                "value."
            )
    return max(width, 1)


# 1-D curves need no more; this keeps a wrong path (a log, a disk image) cheap.
MAX_FILE_BYTES = 256 * 2**20


def _read_text(path: Path, label: str) -> str:
    """The file's text, refusing what is missing, empty or not text."""
    if not path.exists():
        raise DataError(f"data file {label} does not exist; check the path.")
    if path.is_dir():
        raise DataError(f"{label} is a folder, not a data file; give a CSV file.")
    if not path.is_file():
        raise DataError(
            f"{label} is not a regular file (a device or a pipe); give a CSV file."
        )
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(
            f"data file {label} is {path.stat().st_size / 2**20:.0f} MiB; nnfit "
            f"reads at most {MAX_FILE_BYTES // 2**20} MiB (a few million rows), "
            "so thin or cut the file first."
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DataError(f"data file {label} cannot be read ({reason}).") from None
    if not raw.strip():
        raise DataError(f"data file {label} is empty; it needs a header and rows.")

    text = _decode(raw)
    if text is None or _CONTROL.search(text):
        raise DataError(
            f"{label} is not a text file (it holds binary bytes); give a CSV file."
        )
    return text


def _decode(raw: bytes) -> str | None:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _content_rows(text: str, label: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of every line that is not blank or #."""
    lines = [
        (number, line)
        for number, line in enumerate(_LINE_BREAK.split(text), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise DataError(f"data file {label} holds only blank lines and # comments.")

    split = _splitter([line for _, line in lines[: SNIFF_ROWS + 1]])
    rows = []
    for number, line in lines:
        try:
            cells = split(line)
        except csv.Error as error:
            raise DataError(
                f"{label}, row {number}: cannot split it ({error})."
            ) from None
        rows.append((number, [cell.strip() for cell in cells]))
    return rows


def _splitter(sample: Sequence[str]) -> Callable[[str], list[str]]:
    """The separator that splits the sample lines most consistently."""
    candidates = [_csv_splitter(sep) for sep in ("\t", ";", ",")]
    candidates.append(str.split)
    best, best_score = candidates[2], 0.0
    for split in candidates:
        try:
            counts = [len(split(line)) for line in sample]
        except csv.Error:
            continue
        common = max(set(counts), key=counts.count)
        score = counts.count(common) / len(counts)
        # Earlier candidates win ties: a semicolon file may hold decimal commas.
        if common >= 2 and score > best_score:
            best, best_score = split, score
    return best


def _csv_splitter(sep: str) -> Callable[[str], list[str]]:
    def split(line: str) -> list[str]:
        cells = next(csv.reader([line], delimiter=sep, skipinitialspace=True))
        if sep == ";":
            cells = [_decimal_point(cell) for cell in cells]
        return cells

    return split


def _decimal_point(cell: str) -> str:
    stripped = cell.strip()
    return stripped.replace(",", ".") if _DECIMAL_COMMA.fullmatch(stripped) else cell


def _header(rows: list[tuple[int, list[str]]]) -> list[str] | None:
    """The first row's cells if it is a header, else None."""
    first = rows[0][1]
    below = [fields for _, fields in rows[1 : SNIFF_ROWS + 1]]
    text = [not _is_value(cell) and cell.lower() not in MISSING for cell in first]
    if all(text):
        return first
    for index, is_text in enumerate(text):
        column = [fields[index] for fields in below if index < len(fields)]
        values = [cell for cell in column if cell.lower() not in MISSING]
        numeric = sum(_is_value(cell) for cell in values)
        if is_text and values and 2 * numeric >= len(values):
            return first
    return None


def _is_value(cell: str) -> bool:
    return bool(_NUMBER.fullmatch(cell) or _DATE.fullmatch(cell))


def _column_index(
    choice: str | int | None,
    default: int,
    header: list[str] | None,
    width: int,
    label: str,
    axis: str,
) -> int:
    """The 0-based index of the column a user named for x or y."""
    if choice is None:
        if default >= width:
            raise DataError(
                f"{label} has only {width} column; nnfit needs an x and a y column "
                "(is the separator a comma, semicolon, tab or space?)."
            )
        return default
    if isinstance(choice, str) and header is not None:
        found = _find_name(choice, header, label)
        if found is not None:
            return found
    if isinstance(choice, (int, np.integer)) and not isinstance(choice, bool):
        index = int(choice)
    elif isinstance(choice, str) and choice.strip().isdigit():
        index = int(choice.strip())
    else:
        raise DataError(_unknown_column(choice, header, width, label, axis))
    if not 0 <= index < width:
        raise DataError(
            f"{label}: {axis} column {index} is out of range; the file has "
            f"{width} columns, numbered 0 to {width - 1}."
        )
    return index


def _find_name(choice: str, header: list[str], label: str) -> int | None:
    """The index of a header name, exact first, then ignoring case."""
    for match in (str.strip, lambda name: name.strip().lower()):
        hits = [i for i, name in enumerate(header) if match(name) == match(choice)]
        if len(hits) > 1:
            raise DataError(
                f"{label}: column name {choice!r} appears {len(hits)} times in the "
                f"header (columns {', '.join(map(str, hits))}); choose one by index."
            )
        if hits:
            return hits[0]
    return None


def _unknown_column(
    choice: object, header: list[str] | None, width: int, label: str, axis: str
) -> str:
    if header is None:
        return (
            f"{label} has no header row, so {axis} column {choice!r} cannot be "
            f"found by name; choose it by index, 0 to {width - 1}."
        )
    names = ", ".join(repr(name) for name in header)
    return (
        f"{label} has no column named {choice!r} for {axis}; its columns are "
        f"{names} (or give a 0-based index)."
    )


def _column_name(header: list[str] | None, index: int) -> str:
    if header is not None and index < len(header) and header[index]:
        return repr(header[index])
    return str(index)


def _table(
    data: list[tuple[int, list[str]]],
    header: list[str] | None,
    x_index: int,
    y_index: int,
    label: str,
    source: str,
) -> Table:
    """Convert the chosen columns, drop missing rows and check what is left."""
    x_name, y_name = _column_name(header, x_index), _column_name(header, y_index)
    numbers = [row for row, _ in data]
    x_cells = [_cell(fields, x_index) for _, fields in data]
    y_cells = [_cell(fields, y_index) for _, fields in data]
    dates = _is_date_column(x_cells)

    x, x_bad = _parse(x_cells, _date_value if dates else _number)
    y, y_bad = _parse(y_cells, _number)
    # Report the bad cell that comes first in the file, in x or in y.
    faults = [
        (i, name, cells[i], kind)
        for i, name, cells, kind in (
            (x_bad, x_name, x_cells, "date" if dates else "number"),
            (y_bad, y_name, y_cells, "number"),
        )
        if i is not None
    ]
    if faults:
        i, name, cell, kind = min(faults, key=lambda fault: fault[0])
        raise DataError(_bad_value(label, name, numbers[i], cell, kind))

    keep = ~(np.isnan(x) | np.isnan(y))
    table = Table(
        x[keep],
        y[keep],
        _plain_name(header, x_index),
        _plain_name(header, y_index),
        dropped=int(keep.size - keep.sum()),
        dates=dates,
        source=source,
        named=header is not None,
    )
    _check_usable(table, label, x_name, y_name)
    return table


def _cell(fields: list[str], index: int) -> str:
    return fields[index] if index < len(fields) else ""


def _plain_name(header: list[str] | None, index: int) -> str:
    if header is not None and index < len(header) and header[index]:
        return header[index]
    return f"column {index}"


def _is_date_column(cells: list[str]) -> bool:
    """Whether the first present value is a date rather than a number."""
    for cell in cells:
        if cell.lower() not in MISSING:
            return not _NUMBER.fullmatch(cell) and bool(_DATE.fullmatch(cell))
    return False


def _parse(
    cells: list[str], convert: Callable[[str], float | None]
) -> tuple[np.ndarray, int | None]:
    """Values (NaN where missing) and the index of the first bad cell."""
    values = np.full(len(cells), np.nan)
    for i, cell in enumerate(cells):
        if cell.lower() in MISSING:
            continue
        value = convert(cell)
        if value is None:
            return values, i
        values[i] = value
    return values, None


def _number(cell: str) -> float | None:
    if not _NUMBER.fullmatch(cell):
        return None
    value = float(cell)
    return value if math.isfinite(value) else None


def _date_value(cell: str) -> float | None:
    match = _DATE.fullmatch(cell)
    if match is None:
        return None
    try:
        return decimal_year(_datetime(match))
    except (ValueError, OverflowError):
        return None


def _datetime(match: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    moment = datetime(
        int(year),
        int(month),
        int(day or 1),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
    )
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        moment = moment.replace(tzinfo=timezone(sign * offset))
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def decimal_year(moment: datetime) -> float:
    """A date and time as a decimal year: 1990-07-02T12:00 is 1990.5.

    Args:
        moment: a naive datetime (taken as UTC) or an aware one.

    Returns:
        year + (time since 1 January) / (length of that year).

    Example:
        >>> decimal_year(datetime(2000, 1, 1))
        2000.0
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    days = 366 if calendar.isleap(moment.year) else 365
    elapsed = moment - datetime(moment.year, 1, 1)
    return moment.year + elapsed.total_seconds() / (days * 86400.0)


def _bad_value(label: str, column: str, row: int, cell: str, kind: str) -> str:
    shown = cell if len(cell) <= 40 else cell[:37] + "..."
    if _NOT_FINITE.fullmatch(cell) or (_NUMBER.fullmatch(cell) and kind == "number"):
        problem = "which is not a finite number"
    elif kind == "date":
        problem = "which is not a date like 2024-01-31 or 2024-01-31T12:00"
    else:
        problem = "which is not a number"
    return (
        f"{label}, column {column}, row {row}: the value {shown!r}, {problem}; "
        "fix it, or empty the cell to drop the row."
    )


def _check_usable(table: Table, label: str, x_name: str, y_name: str) -> None:
    if len(table) < MIN_ROWS:
        raise DataError(
            f"{label} has {len(table)} usable rows in columns {x_name} and {y_name} "
            f"({table.dropped} dropped for missing values); a fit needs at least "
            f"{MIN_ROWS}."
        )
    for name, values in ((x_name, table.x), (y_name, table.y)):
        if np.all(values == values[0]):
            raise DataError(
                f"{label}: column {name} is constant (every usable value is "
                f"{values[0]:g}); a curve fit needs x and y values that vary."
            )


# --- series shipped with statsmodels -----------------------------------------


@dataclass(frozen=True)
class Series:
    """A real time series that statsmodels ships, read from disk (no network).

    Attributes:
        name: the registry key, used as `nnfit fit NAME`.
        description: one line for `nnfit list datasets`.
        x_unit, y_unit: units of x and y, for axis labels.
        train_until: suggested split: train on x < train_until, hold out the
            rest to measure extrapolation.
        loader: reads the series as a Table.
        reference: where the data comes from.
    """

    name: str
    description: str
    x_unit: str
    y_unit: str
    train_until: float
    loader: Callable[[], Table]
    reference: str = ""

    def load(self) -> Table:
        """The series as a Table, missing values dropped and counted."""
        return self.loader()


def _statsmodels_data(name: str) -> Any:
    """statsmodels' bundled data set `name` as a pandas DataFrame."""
    try:
        module = import_module(f"statsmodels.datasets.{name}")
    except ImportError:
        raise DataError(
            f"the {name} series is read from statsmodels, which is not installed; "
            "install it with `pip install statsmodels`."
        ) from None
    return module.load_pandas().data


def _series_table(
    x: np.ndarray, y: np.ndarray, x_name: str, y_name: str, dates: bool, name: str
) -> Table:
    """A Table of a series, rows with a missing value dropped and counted."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    dropped = int(keep.size - keep.sum())
    return Table(x[keep], y[keep], x_name, y_name, dropped, dates, name)


@cache
def _load_co2() -> Table:
    frame = _statsmodels_data("co2")
    # Weekly samples dated by the Saturday that ends each week.
    x = [decimal_year(moment.to_pydatetime()) for moment in frame.index]
    return _series_table(x, frame["co2"].to_numpy(), "date", "co2", True, "co2")


@cache
def _load_sunspots() -> Table:
    frame = _statsmodels_data("sunspots")
    x, y = frame["YEAR"].to_numpy(), frame["SUNACTIVITY"].to_numpy()
    return _series_table(x, y, "year", "sunspots", False, "sunspots")


@cache
def _load_elnino() -> Table:
    frame = _statsmodels_data("elnino")
    months = list(frame.columns[1:])
    assert len(months) == 12, "elnino has one column per month"
    # One row per year, one column per month: read row by row into a series
    # dated by the first day of each month.
    years = frame["YEAR"].to_numpy().astype(int)
    x = [decimal_year(datetime(year, m, 1)) for year in years for m in range(1, 13)]
    y = frame[months].to_numpy().ravel()
    return _series_table(np.array(x), y, "date", "temperature", True, "elnino")


@cache
def _load_nile() -> Table:
    frame = _statsmodels_data("nile")
    x, y = frame["year"].to_numpy(), frame["volume"].to_numpy()
    return _series_table(x, y, "year", "volume", False, "nile")


_SERIES = (
    Series(
        "co2",
        "weekly atmospheric CO2 at Mauna Loa, 1958-2001: a trend plus a yearly cycle",
        "decimal year",
        "ppm",
        1990.0,
        _load_co2,
        "Keeling and Whorf (2004), Scripps flask samples, via statsmodels",
    ),
    Series(
        "sunspots",
        "yearly sunspot number, 1700-2008: a cycle of about 11 years",
        "year",
        "sunspot number",
        1960.0,
        _load_sunspots,
        "NOAA National Geophysical Data Center, via statsmodels",
    ),
    Series(
        "elnino",
        "monthly sea surface temperature off Peru (Nino 1+2), 1950-2010",
        "decimal year",
        "degrees Celsius",
        2000.0,
        _load_elnino,
        "NOAA ERSST.V3B, Nino 1+2 region, via statsmodels",
    ),
    Series(
        "nile",
        "yearly flow of the Nile at Aswan, 1871-1970: a drop near 1898",
        "year",
        "10^8 m^3",
        1945.0,
        _load_nile,
        "Cobb (1978), Biometrika 65(2), via statsmodels",
    ),
)

SERIES: Mapping[str, Series] = MappingProxyType({s.name: s for s in _SERIES})


def get_series(name: str) -> Series:
    """The registry entry of a shipped series, naming the known ones if absent.

    Example:
        >>> get_series("co2").train_until
        1990.0
    """
    if name not in SERIES:
        raise DataError(
            f"unknown data set {name!r}; the shipped series are "
            f"{', '.join(SERIES)} (or give the path of a CSV file)."
        )
    return SERIES[name]


def load_series(name: str) -> Table:
    """Load a shipped series by name, from the installed statsmodels.

    Args:
        name: a key of SERIES: co2, sunspots, elnino or nile.

    Returns:
        A Table; dates are decimal years, rows with a missing value dropped.

    Example:
        >>> table = load_series("co2")
        >>> len(table), table.dropped
        (2225, 59)
    """
    return get_series(name).load()


# --- training and held-out parts ---------------------------------------------


def split(
    table: Table,
    train_until: float | str | None = None,
    fraction: float | None = None,
    *,
    names: tuple[str, str] = ("train_until", "fraction"),
) -> tuple[Table, Table]:
    """Cut a table at an x value: fit on the left part, test extrapolation right.

    Args:
        table: the data.
        train_until: train on x < train_until, hold out x >= train_until; for
            dates a decimal year (1990.5) or an ISO date ("1990-07-02").
        fraction: instead, train on this share of the rows with the lowest x,
            0 < fraction < 1; rows with equal x stay on one side.
        names: what error messages call train_until and fraction; a command
            line passes its own flags ("--train-until", "--train-fraction").

    Returns:
        (train, heldout) Tables, each in the table's row order; both keep its
        names, dates flag, source and dropped count.

    Example:
        >>> train, heldout = split(load_series("co2"), train_until=1990)
        >>> float(train.x.max()) < 1990 <= float(heldout.x.min())
        True
    """
    until_name, fraction_name = names
    if (train_until is None) == (fraction is None):
        given = "both" if train_until is not None else "neither"
        raise DataError(
            f"got {given} of {until_name} and {fraction_name}; give exactly one "
            f"({_named(until_name, 1990)}, or {_named(fraction_name, 0.8)})."
        )
    if fraction is not None:
        asked = _named(fraction_name, fraction)
        cut = _fraction_cut(table, fraction, asked)
    else:
        asked = _named(until_name, train_until)
        cut = _as_x(table, train_until, asked)

    left = table.x < cut
    train, heldout = _part(table, left), _part(table, ~left)
    _check_parts(table, train, heldout, asked)
    return train, heldout


def _named(name: str, value: Any) -> str:
    """An argument and its value as the caller wrote them: a flag or a keyword."""
    return f"{name} {value}" if name.startswith("-") else f"{name}={value!r}"


def _fraction_cut(table: Table, fraction: float, asked: str) -> float:
    ok = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
    if not ok or not 0 < fraction < 1:
        raise DataError(
            f"{asked} is not a share of rows; give a number between 0 and 1, "
            "such as 0.8."
        )
    ordered = np.sort(table.x)
    count = min(max(round(fraction * len(ordered)), 1), len(ordered) - 1)
    return float(ordered[count])


def _as_x(table: Table, value: float | str | None, asked: str) -> float:
    """train_until as a number in x's units, from a number or an ISO date."""
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            value = float(text)
        elif _DATE.fullmatch(text) and table.dates:
            value = _date_value(text)
        elif _DATE.fullmatch(text):
            raise DataError(
                f"{asked} is a date, but x of {table.source or 'the data'} holds "
                "plain numbers; give a number."
            )
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise DataError(
            f"{asked} is not a number; give an x value such as 1990"
            + (" or a date such as 1990-01-01." if table.dates else ".")
        )
    if not math.isfinite(value):
        raise DataError(f"{asked} is not finite; give an x value.")
    return float(value)


def _part(table: Table, mask: np.ndarray) -> Table:
    return replace(table, x=table.x[mask], y=table.y[mask])


def _check_parts(table: Table, train: Table, heldout: Table, asked: str) -> None:
    where = table.source or "the data"
    span = f"x in {where} runs from {table.x.min():g} to {table.x.max():g}"
    if len(train) < MIN_ROWS:
        raise DataError(
            f"{asked} leaves {len(train)} training rows; a fit needs at least "
            f"{MIN_ROWS} ({span}): move the cut right."
        )
    if not len(heldout):
        raise DataError(
            f"{asked} holds out no rows ({span}); move the cut left to keep some "
            "rows for the extrapolation test."
        )
    if np.all(train.x == train.x[0]):
        raise DataError(
            f"{asked} leaves training rows that all have x = {train.x[0]:g}; a "
            "curve needs distinct x values: move the cut right."
        )
