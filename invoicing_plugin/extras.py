"""The optional dependencies (the package's extras), imported only where used, with the command that adds them."""

from __future__ import annotations

import importlib
from types import ModuleType

PACKAGE = "invoicing_plugin"


class MissingExtra(ImportError):
    """A feature's optional dependency is not installed; the message says which extra brings it."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """`module`, or MissingExtra naming `pip install invoicing_plugin[extra]` when it is not installed."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        # Only the module itself missing means a missing extra; a module it imports missing is a broken
        # installation, and its own error says more.
        if error.name is None or module.split(".")[0] != error.name.split(".")[0]:
            raise
        raise MissingExtra(f"{feature} needs {error.name}, which is not installed: "
                           f"pip install '{PACKAGE}[{extra}]'", name=error.name) from None
