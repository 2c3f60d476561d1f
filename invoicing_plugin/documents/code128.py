"""Code 128 (code set C) for digit strings such as the 54-digit Finnish bank barcode, drawn as SVG bars.

The symbol is ISO/IEC 15417: start C, one symbol per pair of digits, a modulo-103 check symbol, stop.
Each symbol is three bars and three spaces, 11 modules wide; the stop is 13 modules (it ends in a
2-module bar). The Finnish bank barcode guide prescribes code set C for its 54 digits.
"""

from __future__ import annotations

START_C = 105
STOP = 106

# Bar and space widths, in modules, of each symbol value 0-106 (ISO/IEC 15417, table 1).
PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)

# Readers need a blank margin of at least ten modules on each side of the symbol.
QUIET_ZONE_MODULES = 10


def symbol_values(digits: str) -> list[int]:
    """The symbol values of `digits` in code set C: start C, the pairs, the check symbol, stop."""
    if not digits.isascii() or not digits.isdigit() or len(digits) % 2:
        raise ValueError("code set C encodes an even number of digits (0-9) only")
    pairs = [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    return [START_C, *pairs, check_value(pairs), STOP]


def check_value(pairs: list[int]) -> int:
    """Modulo-103 check: the start value plus each data value times its position (1, 2, ...)."""
    return (START_C + sum(position * value for position, value in enumerate(pairs, start=1))) % 103


def bar_widths(digits: str) -> list[int]:
    """Alternating bar and space widths in modules, starting and ending with a bar, no quiet zones."""
    return [int(width) for value in symbol_values(digits) for width in PATTERNS[value]]


def svg(digits: str, *, module_mm: float = 0.3, height_mm: float = 13.0) -> str:
    """The barcode as a standalone SVG element sized in millimetres, quiet zones included.

    Bars are whole modules in the SVG's own coordinates, so a PDF keeps them exact at any zoom;
    `crispEdges` stops rasterisers from greying bar edges, which readers mistake for width.
    """
    widths = bar_widths(digits)
    total = sum(widths) + 2 * QUIET_ZONE_MODULES
    x = QUIET_ZONE_MODULES
    bars = []
    for index, width in enumerate(widths):
        if index % 2 == 0:
            bars.append(f"M{x} 0h{width}v1h-{width}z")
        x += width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="code128" width="{total * module_mm:.2f}mm" '
        f'height="{height_mm:.2f}mm" viewBox="0 0 {total} 1" preserveAspectRatio="none" '
        f'shape-rendering="crispEdges"><rect width="{total}" height="1" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(bars)}"/></svg>'
    )
