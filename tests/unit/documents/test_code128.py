"""Code 128 code set C: symbol values, the modulo-103 check, and bars that real readers decode."""

import itertools

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from invoicing_plugin.documents.code128 import (
    PATTERNS,
    START_C,
    STOP,
    bar_widths,
    check_value,
    svg,
    symbol_values,
)

BANK_BARCODE = "448195030000000100011160000000000000091901000011190128"  # the Maventa example, reference §4.6


def draw(digits: str, module_px: int = 2) -> Image.Image:
    """The encoder's bars drawn pixel-exact, with quiet zones, as a reader's camera would see them."""
    widths = bar_widths(digits)
    image = Image.new("L", ((sum(widths) + 20) * module_px, 80), 255)
    pen = ImageDraw.Draw(image)
    x = 10
    for index, width in enumerate(widths):
        if index % 2 == 0:
            pen.rectangle([x * module_px, 0, (x + width) * module_px - 1, 79], fill=0)
        x += width
    return image


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.Code128)]


def test_digits_are_paired_after_start_c_and_followed_by_the_check_and_stop():
    # check: (105 + 1*12 + 2*34 + 3*56) mod 103 = 353 mod 103 = 44
    assert symbol_values("123456") == [START_C, 12, 34, 56, 44, STOP]


def test_the_check_symbol_weighs_each_pair_by_its_position():
    assert check_value([0, 0, 0]) == START_C % 103 == 2
    assert check_value([1, 99]) == (105 + 1 * 1 + 2 * 99) % 103 == 98
    assert check_value([99, 1]) == (105 + 1 * 99 + 2 * 1) % 103 == 0  # so a swapped pair is caught


def test_a_bank_barcode_is_27_pairs_and_332_modules_wide():
    values = symbol_values(BANK_BARCODE)
    assert len(values) == 1 + 27 + 1 + 1
    assert sum(bar_widths(BANK_BARCODE)) == 29 * 11 + 13


def test_every_symbol_is_three_bars_and_three_spaces_of_eleven_modules():
    assert all(len(p) == 6 and sum(map(int, p)) == 11 for p in PATTERNS[:STOP])
    assert PATTERNS[STOP] == "2331112"


def test_odd_lengths_and_non_digits_are_refused():
    for bad in ("123", "12a4", "", "١٢"):  # the last is Arabic-Indic digits: isdigit() but not ASCII
        with pytest.raises(ValueError):
            symbol_values(bad)


def test_the_bars_equal_those_of_zxings_own_encoder():
    image = zxingcpp.create_barcode(BANK_BARCODE, zxingcpp.Code128).to_image(scale=1, add_quiet_zones=False)
    view = memoryview(image)
    row = bytes(view)[: view.shape[1]]
    assert [len(list(run)) for _, run in itertools.groupby(row)] == bar_widths(BANK_BARCODE)


def test_every_pair_from_00_to_99_reads_back():
    digits = "".join(f"{pair:02d}" for pair in range(100))
    assert decode(draw(digits)) == [digits]


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=30).map(lambda s: s * 2))
def test_any_even_digit_string_reads_back(digits):
    assert decode(draw(digits)) == [digits]


def test_the_svg_is_as_wide_as_its_modules_and_draws_every_bar():
    drawing = svg(BANK_BARCODE, module_mm=0.3, height_mm=13)
    assert 'width="105.60mm"' in drawing  # (332 + 2 x 10 quiet) x 0.3 mm
    assert 'height="13.00mm"' in drawing
    assert drawing.count("M") == 3 * 29 + 4  # three bars a symbol, four in the stop pattern
