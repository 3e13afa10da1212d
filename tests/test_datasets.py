"""Datasets: reading CSV files, the statsmodels series and the train split."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnfit import datasets
from nnfit.datasets import (
    SERIES,
    Series,
    Table,
    decimal_year,
    get_series,
    load_series,
    read_csv,
    split,
)
from nnfit.errors import DataError, ShapeError

SQUARES = "x,y\n1,1\n2,4\n3,9\n4,16\n"


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def write(content: str | bytes, name: str = "data.csv"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


def error_of(path, **columns) -> str:
    with pytest.raises(DataError) as caught:
        read_csv(path, **columns)
    return str(caught.value)


def assert_one_sentence(message: str) -> None:
    assert message.endswith(".") and "\n" not in message
    assert not re.search(r"\. [A-Z]", message), message


# --- reading ----------------------------------------------------------------


def test_reads_the_first_two_columns_by_default(write):
    table = read_csv(write(SQUARES))
    assert table.x.tolist() == [1, 2, 3, 4] and table.y.tolist() == [1, 4, 9, 16]


def test_values_are_float64(write):
    table = read_csv(write(SQUARES))
    assert table.x.dtype == np.float64 and table.y.dtype == np.float64


def test_header_gives_the_names(write):
    table = read_csv(write(SQUARES))
    assert (table.x_name, table.y_name) == ("x", "y")


def test_source_is_the_file_name(write):
    assert read_csv(write(SQUARES, "squares.csv")).source == "squares.csv"


def test_numeric_first_row_is_data(write):
    table = read_csv(write("1,1\n2,4\n3,9\n"))
    assert len(table) == 3 and table.x_name == "column 0"


def test_header_found_by_one_text_cell_over_numbers(write):
    # "2000" in the header is a number, but "t" over numbers marks a header.
    table = read_csv(write("t,2000\n1,5\n2,6\n3,8\n"))
    assert (table.x_name, table.y_name, len(table)) == ("t", "2000", 3)


def test_text_column_in_data_does_not_make_a_header(write):
    table = read_csv(write("a,1,1\nb,2,4\nc,3,9\n"), x=1, y=2)
    assert len(table) == 3 and table.x[0] == 1


def test_column_by_name(write):
    table = read_csv(write("a,b,c\n1,2,3\n4,5,7\n7,8,0\n"), x="c", y="a")
    assert table.x.tolist() == [3, 7, 0] and table.y.tolist() == [1, 4, 7]


def test_column_name_ignores_case_and_spaces(write):
    table = read_csv(write("Time , Value\n1,2\n2,3\n3,5\n"), x="time", y="VALUE")
    assert (table.x_name, table.y_name) == ("Time", "Value")


def test_column_by_integer_index(write):
    table = read_csv(write("a,b,c\n1,2,3\n4,5,7\n7,8,0\n"), x=2, y=1)
    assert table.x.tolist() == [3, 7, 0] and table.y.tolist() == [2, 5, 8]


def test_column_by_index_as_text(write):
    table = read_csv(write("a,b,c\n1,2,3\n4,5,7\n7,8,0\n"), x="2", y="0")
    assert table.x.tolist() == [3, 7, 0] and table.y.tolist() == [1, 4, 7]


def test_header_name_wins_over_an_index(write):
    table = read_csv(write("t,0\n1,5\n2,6\n3,8\n"), x="t", y="0")
    assert table.y.tolist() == [5, 6, 8]


def test_semicolon_with_decimal_commas(write):
    table = read_csv(write("x;y\n1,5;2,25\n2,5;6,25\n3;9\n"))
    assert table.x.tolist() == [1.5, 2.5, 3] and table.y.tolist() == [2.25, 6.25, 9]


def test_tab_separated(write):
    table = read_csv(write("x\ty\n1\t2\n2\t3\n3\t5\n"))
    assert table.y.tolist() == [2, 3, 5]


def test_space_separated(write):
    table = read_csv(write("x   y\n1  2\n2 3\n3    5\n"))
    assert table.y.tolist() == [2, 3, 5]


def test_quoted_cells_and_spaces_after_commas(write):
    table = read_csv(write('"name, long",y\n"1", 2\n2, "3"\n3, 5\n'))
    assert table.x_name == "name, long" and table.y.tolist() == [2, 3, 5]


def test_blank_lines_and_comments_are_skipped(write):
    table = read_csv(write("# made by hand\nx,y\n\n1,1\n  \n2,4\n# note\n3,9\n"))
    assert table.x.tolist() == [1, 2, 3] and table.dropped == 0


def test_crlf_line_ends(write):
    assert read_csv(write(SQUARES.replace("\n", "\r\n"))).y.tolist() == [1, 4, 9, 16]


def test_duplicated_x_is_kept(write):
    table = read_csv(write("x,y\n1,1\n1,2\n2,4\n2,5\n"))
    assert table.x.tolist() == [1, 1, 2, 2]


def test_rows_keep_the_file_order(write):
    assert read_csv(write("x,y\n3,9\n1,1\n2,4\n")).x.tolist() == [3, 1, 2]


def test_empty_cells_are_dropped_and_counted(write):
    table = read_csv(write("x,y\n1,1\n2,\n,9\n4,16\n5,25\n"))
    assert table.x.tolist() == [1, 4, 5] and table.dropped == 2


def test_missing_markers_are_dropped(write):
    table = read_csv(write("x,y\n1,1\n2,NA\n3,n/a\n4,null\n5,?\n6,36\n7,49\n"))
    assert table.x.tolist() == [1, 6, 7] and table.dropped == 4


def test_short_rows_count_as_missing(write):
    table = read_csv(write("x,y,z\n1,1,0\n2\n3,9\n4,16,1\n"))
    assert table.x.tolist() == [1, 3, 4] and table.dropped == 1


def test_a_row_with_a_value_past_the_last_column_is_refused(write):
    # 2,5 split by a comma in a comma file: x could be 2 or 2.5.
    path = write("x,y\n1,1\n2,5,4\n3,9\n4,16\n")
    with pytest.raises(DataError, match=r"row 3 holds 3 values but the file has 2"):
        read_csv(path)


def test_a_trailing_separator_is_not_an_extra_value(write):
    table = read_csv(write("x,y\n1,1,\n2,4,\n3,9,\n4,16\n"))
    np.testing.assert_array_equal(table.y, [1, 4, 9, 16])


def test_without_a_header_the_common_width_counts(write):
    with pytest.raises(DataError, match=r"row 2 holds 3 values but the file has 2"):
        read_csv(write("1 1\n2 4 7\n3 9\n4 16\n"))


def test_missing_value_in_an_unused_column_keeps_the_row(write):
    table = read_csv(write("x,y,z\n1,1,\n2,4,\n3,9,\n"))
    assert len(table) == 3 and table.dropped == 0


def test_scientific_notation_and_signs(write):
    table = read_csv(write("x,y\n-1e-3,+2.5E2\n.5,3.\n2,-4\n"))
    assert table.x.tolist() == [-0.001, 0.5, 2] and table.y.tolist() == [250, 3, -4]


def test_utf8_bom(write):
    table = read_csv(write(b"\xef\xbb\xbf" + SQUARES.encode()))
    assert table.x_name == "x"


def test_utf16_with_bom(write):
    table = read_csv(write(SQUARES.encode("utf-16")))
    assert table.y.tolist() == [1, 4, 9, 16]


def test_windows_1252_header(write):
    table = read_csv(write("t,temp \xb0C\n1,2\n2,3\n3,5\n".encode("cp1252")))
    assert table.y_name == "temp \N{DEGREE SIGN}C"


def test_table_arrays_are_read_only(write):
    table = read_csv(write(SQUARES))
    with pytest.raises(ValueError):
        table.x[0] = 5.0


# --- dates ------------------------------------------------------------------


def test_decimal_year_of_new_year():
    assert decimal_year(datetime(2000, 1, 1)) == 2000.0


def test_decimal_year_of_mid_year_in_a_common_year():
    # 1990 has 365 days; noon on 2 July is 182.5 days in.
    assert decimal_year(datetime(1990, 7, 2, 12)) == 1990.5


def test_decimal_year_of_mid_year_in_a_leap_year():
    # 2000 has 366 days; midnight on 2 July is 183 days in.
    assert decimal_year(datetime(2000, 7, 2)) == 2000.5


def test_decimal_year_converts_aware_times_to_utc():
    moment = datetime(2001, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    assert decimal_year(moment) == 2001.0


def test_iso_dates_become_decimal_years(write):
    table = read_csv(write("date,v\n1990-01-01,1\n1990-07-02T12:00,2\n1991-01-01,4\n"))
    assert table.dates and table.x.tolist() == [1990.0, 1990.5, 1991.0]


def test_datetime_with_space_seconds_and_fraction(write):
    text = "t,v\n1990-07-02 12:00:00.000,1\n1990-01-01 00:00:00,2\n1990-02,3\n"
    table = read_csv(write(text))
    assert table.x.tolist() == [1990.5, 1990.0, 1990 + 31 / 365]


def test_utc_offsets_are_converted(write):
    text = "t,v\n1991-01-01T02:00+02:00,1\n1990-12-31T19:00-0500,2\n1990-01-01Z,3\n"
    assert read_csv(write(text)).x.tolist() == [1991.0, 1991.0, 1990.0]


def test_dates_label_says_decimal_year(write):
    table = read_csv(write("day,v\n2020-01-01,1\n2020-01-02,2\n2020-01-05,4\n"))
    assert table.x_label == "day (decimal year)"


def test_plain_years_are_numbers_not_dates(write):
    table = read_csv(write("year,v\n1990,1\n1991,2\n1992,4\n"))
    assert not table.dates and table.x.tolist() == [1990, 1991, 1992]


def test_missing_dates_are_dropped(write):
    table = read_csv(write("d,v\n2020-01-01,1\n,2\n2020-03-01,4\n2020-04-01,5\n"))
    assert len(table) == 3 and table.dropped == 1


def test_impossible_date_names_the_row(write):
    message = error_of(write("d,v\n2021-02-01,1\n2021-02-30,2\n2021-03-01,4\n"))
    assert "row 3" in message and "'2021-02-30'" in message and "date" in message


def test_number_in_a_date_column_names_the_row(write):
    message = error_of(write("d,v\n2021-02-01,1\n2021-02-02,2\n17,4\n"))
    assert "row 4" in message and "'17'" in message and "not a date" in message


# --- errors -----------------------------------------------------------------


def test_missing_file(tmp_path):
    message = error_of(tmp_path / "nope.csv")
    assert "nope.csv" in message and "does not exist" in message
    assert_one_sentence(message)


def test_a_folder(tmp_path):
    message = error_of(tmp_path)
    assert str(tmp_path) in message and "folder" in message
    assert_one_sentence(message)


def test_empty_file(write):
    message = error_of(write("", "empty.csv"))
    assert "empty.csv" in message and "empty" in message
    assert_one_sentence(message)


def test_whitespace_only_file(write):
    assert "empty" in error_of(write(" \n\n\t\n"))


def test_comments_only_file(write):
    assert "only blank lines and # comments" in error_of(write("# a\n# b\n"))


def test_binary_file(write):
    message = error_of(write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv"))
    assert "image.csv" in message and "not a text file" in message
    assert_one_sentence(message)


def test_unknown_column_name_lists_the_columns(write):
    message = error_of(write(SQUARES, "sq.csv"), y="z")
    assert "sq.csv" in message and "'z'" in message and "'x', 'y'" in message
    assert_one_sentence(message)


def test_name_without_a_header(write):
    message = error_of(write("1,2\n2,3\n3,5\n"), x="time")
    assert "no header row" in message and "0 to 1" in message
    assert_one_sentence(message)


def test_index_out_of_range(write):
    message = error_of(write(SQUARES), y=2)
    assert "column 2 is out of range" in message and "0 to 1" in message
    assert_one_sentence(message)


def test_index_as_text_out_of_range(write):
    assert "column 7 is out of range" in error_of(write(SQUARES), x="7")


def test_negative_index(write):
    assert "column -1 is out of range" in error_of(write(SQUARES), x=-1)


def test_duplicated_header_name(write):
    message = error_of(write("a,a,b\n1,2,3\n2,3,4\n3,4,6\n"), x="a")
    assert "appears 2 times" in message and "by index" in message


def test_non_numeric_value_names_column_row_and_value(write):
    message = error_of(write("x,y\n1,1\n2,4\n3,abc\n", "sq.csv"))
    assert "sq.csv" in message and "column 'y'" in message
    assert "row 4" in message and "'abc'" in message
    assert_one_sentence(message)


def test_row_numbers_count_blank_and_comment_lines(write):
    message = error_of(write("# note\nx,y\n\n1,1\n2,oops\n3,9\n"))
    assert "row 5" in message


def test_row_numbers_without_a_header(write):
    assert "row 2" in error_of(write("1,1\n2,four\n3,9\n"))


def test_first_bad_row_across_both_columns(write):
    message = error_of(write("x,y\n1,1\n2,4\n3,bad\nworse,9\n"))
    assert "row 4" in message and "'bad'" in message


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_non_finite_values_are_refused_not_dropped(write, value):
    message = error_of(write(f"x,y\n1,1\n2,{value}\n3,9\n4,16\n"))
    assert "row 3" in message and repr(value) in message
    assert "not a finite number" in message
    assert_one_sentence(message)


def test_long_bad_value_is_shortened(write):
    message = error_of(write("x,y\n1,1\n2," + "z" * 500 + "\n3,9\n"))
    assert "z" * 37 + "..." in message and len(message) < 250


def test_fewer_than_three_usable_rows(write):
    message = error_of(write("x,y\n1,1\n2,\n3,9\n", "short.csv"))
    assert "short.csv" in message and "2 usable rows" in message
    assert "1 dropped" in message
    assert_one_sentence(message)


def test_header_only(write):
    assert "0 usable rows" in error_of(write("x,y\n"))


def test_constant_y(write):
    message = error_of(write("x,y\n1,5\n2,5\n3,5\n", "flat.csv"))
    assert "flat.csv" in message and "column 'y' is constant" in message
    assert_one_sentence(message)


def test_constant_x(write):
    assert "column 'x' is constant" in error_of(write("x,y\n1,5\n1,6\n1,7\n"))


def test_x_and_y_the_same_column(write):
    message = error_of(write(SQUARES, "sq.csv"), x="y", y=1)
    assert "sq.csv" in message and "both column 'y'" in message
    assert_one_sentence(message)


def test_only_one_column(write):
    message = error_of(write("y\n1\n2\n3\n"))
    assert "only 1 column" in message
    assert_one_sentence(message)


def test_table_refuses_mismatched_arrays():
    with pytest.raises(ShapeError):
        Table(np.arange(3.0), np.arange(4.0))


# --- any input: a Table or a DataError --------------------------------------

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def read_or_data_error(path, **columns) -> Table | None:
    try:
        table = read_csv(path, **columns)
    except DataError as error:
        assert_one_sentence(str(error))
        return None
    assert len(table) >= 3 and np.all(np.isfinite(table.x))
    assert np.all(np.isfinite(table.y))
    return table


@PROPERTY
@given(content=st.binary(max_size=300))
def test_any_bytes_read_or_raise_data_error(write, content):
    read_or_data_error(write(content))


@PROPERTY
@given(content=st.text(max_size=300))
def test_any_text_reads_or_raises_data_error(write, content):
    read_or_data_error(write(content))


NUMBERS = st.one_of(
    st.floats(-1e9, 1e9, allow_nan=False).map(repr),
    st.integers(-(10**6), 10**6).map(str),
)
ODD_CELLS = st.one_of(
    st.sampled_from(["", "NA", "nan", "-inf", "x", "1,5", "2020-02-30", "#", '"']),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.dates().map(str),
    st.text(alphabet="0123456789.-+eE:TZ ,;\t\"'#", max_size=12),
)
NAMES = st.sampled_from(["x", "y", "a", "Y", "0", "date", ""])


@st.composite
def csv_rows(draw) -> list[list[str]]:
    """Mostly sound tables of numbers (dates in x at times), a few cells odd."""
    width, height = draw(st.integers(1, 4)), draw(st.integers(0, 8))
    first = st.dates().map(str) if draw(st.booleans()) else NUMBERS
    rows = [
        [draw(first)] + [draw(NUMBERS) for _ in range(width - 1)] for _ in range(height)
    ]
    for _ in range(draw(st.integers(0, 2)) if rows else 0):
        row, column = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        rows[row][column] = draw(ODD_CELLS)
    if draw(st.booleans()):
        rows.insert(0, [draw(NAMES) for _ in range(width)])
    return rows


@PROPERTY
@given(
    rows=csv_rows(),
    separator=st.sampled_from([",", ";", "\t", " "]),
    x=st.one_of(st.none(), st.integers(-1, 4), st.sampled_from(["0", "x", "a"])),
    y=st.one_of(st.none(), st.integers(-1, 4), st.sampled_from(["1", "y", "b"])),
)
def test_csv_like_text_reads_or_raises_data_error(write, rows, separator, x, y):
    text = "\n".join(separator.join(cells) for cells in rows)
    read_or_data_error(write(text), x=x, y=y)


@PROPERTY
@given(
    pairs=st.lists(
        st.tuples(
            st.floats(-1e300, 1e300, allow_nan=False),
            st.floats(-1e300, 1e300, allow_nan=False),
        ),
        min_size=3,
        max_size=30,
    )
)
def test_written_floats_read_back_exactly(write, pairs):
    x, y = np.array(pairs).T
    text = "x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in pairs)
    table = read_or_data_error(write(text))
    varies = np.ptp(x) > 0 and np.ptp(y) > 0
    assert (table is not None) == varies
    if table is not None:
        assert table.x.tolist() == x.tolist() and table.y.tolist() == y.tolist()


# --- the statsmodels series -------------------------------------------------

# Only the series need statsmodels; the CSV tests run without it.
needs_statsmodels = pytest.mark.skipif(
    importlib.util.find_spec("statsmodels") is None,
    reason="statsmodels is not installed; the shipped series are read from it",
)


def test_registry_names():
    assert list(SERIES) == ["co2", "sunspots", "elnino", "nile"]


@pytest.mark.parametrize("name", list(SERIES))
def test_series_entry_is_described(name):
    series = SERIES[name]
    assert isinstance(series, Series) and series.name == name
    assert series.description and series.x_unit and series.y_unit
    assert series.reference


@needs_statsmodels
@pytest.mark.parametrize("name", list(SERIES))
def test_series_loads_as_finite_increasing_table(name):
    table = load_series(name)
    assert isinstance(table, Table) and table.source == name and len(table) > 50
    assert np.all(np.isfinite(table.x)) and np.all(np.isfinite(table.y))
    assert np.all(np.diff(table.x) > 0)


@needs_statsmodels
@pytest.mark.parametrize("name", list(SERIES))
def test_suggested_split_keeps_both_parts(name):
    table = load_series(name)
    train, heldout = split(table, train_until=SERIES[name].train_until)
    assert len(train) >= 3 and len(heldout) >= 3
    assert len(train) > len(heldout)


@needs_statsmodels
def test_co2_drops_and_counts_its_missing_weeks():
    table = load_series("co2")
    assert (len(table), table.dropped) == (2225, 59)


@needs_statsmodels
def test_co2_x_is_decimal_years():
    table = load_series("co2")
    # The first sample is dated Saturday 29 March 1958, day 87 of 365.
    assert table.dates and table.x[0] == pytest.approx(1958 + 87 / 365)
    assert 2001.9 < table.x[-1] < 2002.0


@needs_statsmodels
def test_co2_values_are_ppm():
    assert 310 < load_series("co2").y.min() < load_series("co2").y.max() < 380


@needs_statsmodels
def test_sunspots_are_yearly():
    table = load_series("sunspots")
    assert not table.dates and table.x.tolist() == list(range(1700, 2009))


@needs_statsmodels
def test_elnino_is_monthly():
    table = load_series("elnino")
    assert table.dates and len(table) == 61 * 12
    assert table.x[1] == pytest.approx(1950 + 31 / 365)


@needs_statsmodels
def test_nile_is_yearly():
    table = load_series("nile")
    assert table.x.tolist() == list(range(1871, 1971))


def test_series_without_statsmodels_is_a_data_error(monkeypatch):
    # A None entry in sys.modules makes the import fail as if not installed.
    monkeypatch.setitem(sys.modules, "statsmodels.datasets.nile", None)
    with pytest.raises(DataError, match="pip install statsmodels"):
        datasets._load_nile.__wrapped__()


def test_unknown_series_lists_the_known_ones():
    with pytest.raises(DataError, match="co2, sunspots, elnino, nile"):
        get_series("mauna")


# --- split -------------------------------------------------------------------


def line_table(count: int = 10, dates: bool = False) -> Table:
    x = np.arange(count, dtype=float)
    return Table(x, 2 * x, "t", "v", dropped=1, dates=dates, source="line.csv")


def test_split_at_an_x_value():
    train, heldout = split(line_table(), train_until=7)
    assert train.x.tolist() == list(range(7)) and heldout.x.tolist() == [7, 8, 9]


def test_split_keeps_names_and_flags():
    train, heldout = split(line_table(dates=True), train_until=5)
    for part in (train, heldout):
        assert (part.x_name, part.y_name, part.source) == ("t", "v", "line.csv")
        assert part.dates and part.dropped == 1


def test_split_keeps_row_order():
    table = Table(np.array([5.0, 1, 9, 2, 7, 3]), np.arange(6.0))
    train, heldout = split(table, train_until=5)
    assert train.x.tolist() == [1, 2, 3] and heldout.x.tolist() == [5, 9, 7]


def test_split_by_fraction():
    train, heldout = split(line_table(), fraction=0.8)
    assert len(train) == 8 and len(heldout) == 2


def test_split_by_fraction_keeps_equal_x_together():
    table = Table(np.array([0.0, 1, 2, 3, 3, 3, 4]), np.arange(7.0))
    train, heldout = split(table, fraction=0.5)
    assert train.x.tolist() == [0, 1, 2] and heldout.x.tolist() == [3, 3, 3, 4]


def test_split_at_a_date():
    table = Table(1990 + np.arange(10) / 4, np.arange(10.0), dates=True)
    train, _ = split(table, train_until="1991-07-02T12:00")
    assert train.x.tolist() == [1990, 1990.25, 1990.5, 1990.75, 1991, 1991.25]


def test_split_accepts_a_number_as_text():
    train, _ = split(line_table(), train_until="4.5")
    assert len(train) == 5


def test_split_refuses_both():
    with pytest.raises(DataError, match="both of train_until and fraction"):
        split(line_table(), train_until=5, fraction=0.5)


def test_split_refuses_neither():
    with pytest.raises(DataError, match="neither"):
        split(line_table())


def test_split_needs_three_training_rows():
    with pytest.raises(DataError, match="leaves 2 training rows.*0 to 9"):
        split(line_table(), train_until=2)


def test_split_needs_held_out_rows():
    with pytest.raises(DataError, match="holds out no rows"):
        split(line_table(), train_until=10)


def test_split_needs_distinct_training_x():
    table = Table(np.array([1.0, 1, 1, 2, 3]), np.arange(5.0))
    with pytest.raises(DataError, match="all have x = 1"):
        split(table, train_until=2)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5, 2, True, "half"])
def test_split_refuses_a_bad_fraction(fraction):
    with pytest.raises(DataError, match="between 0 and 1"):
        split(line_table(), fraction=fraction)


def test_split_refuses_a_date_for_plain_numbers():
    with pytest.raises(DataError, match="is a date.*plain numbers"):
        split(line_table(), train_until="2001-01-01")


def test_split_refuses_text():
    with pytest.raises(DataError, match="not a number"):
        split(line_table(), train_until="soon")


def test_split_refuses_nan():
    with pytest.raises(DataError, match="not finite"):
        split(line_table(), train_until=float("nan"))


def test_split_messages_are_one_sentence():
    with pytest.raises(DataError) as caught:
        split(line_table(), train_until=1)
    assert_one_sentence(str(caught.value))
