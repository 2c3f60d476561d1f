"""An optional dependency that is missing names the extra that brings it; a broken one keeps its own error."""

import pytest

from invoicing_plugin.extras import MissingExtra, require


def test_an_installed_module_is_returned():
    assert require("json", "pdf", "the invoice PDF").dumps([1]) == "[1]"


def test_a_missing_module_names_the_pip_command_of_its_extra():
    with pytest.raises(MissingExtra) as raised:
        require("weasyprint_not_installed_here", "pdf", "the invoice PDF")
    assert str(raised.value) == ("the invoice PDF needs weasyprint_not_installed_here, which is not installed: "
                                 "pip install 'invoicing_plugin[pdf]'")
    assert isinstance(raised.value, ImportError)


def test_a_module_whose_own_import_is_missing_is_a_broken_install_not_a_missing_extra(tmp_path, monkeypatch):
    (tmp_path / "half_installed.py").write_text("import a_dependency_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as raised:
        require("half_installed", "pdf", "the invoice PDF")
    assert not isinstance(raised.value, MissingExtra)
    assert raised.value.name == "a_dependency_nobody_installed"
