"""`pip install invoicing_plugin` (a built wheel, not editable) into fresh virtual environments: the build
prints no setuptools warnings; without extras the package takes an order on SQLite and names the extra each
missing feature needs; with [pdf] it finds its templates, schemas and migrations and renders documents."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "dev.txt"
EXTRAS_MODULES = ("gunicorn", "psycopg", "weasyprint", "segno")

BARE_SCRIPT = textwrap.dedent("""
    import importlib.util, sys
    missing = [name for name in sys.argv[3].split(",") if importlib.util.find_spec(name) is None]
    assert missing == sys.argv[3].split(","), "installed without being asked for: " + sys.argv[3]
    import invoicing_plugin
    assert "site-packages" in invoicing_plugin.__file__, invoicing_plugin.__file__
    from invoicing_plugin import create_app
    from invoicing_plugin.examples import webshop_order
    app = create_app({"INVOICING_DATABASE_URL": sys.argv[1], "TESTING": True})
    answer = app.test_client().post("/api/v1/orders", json=webshop_order("WS-1"),
                                    headers={"Authorization": "Bearer " + sys.argv[2]})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.json["invoice"]["number"] == "1", answer.json

    from tests_factories import invoice_data
    from invoicing_plugin.documents.finvoice import finvoice_xml
    from invoicing_plugin.documents.pdf import render_invoice_pdf
    from invoicing_plugin.db.engine import make_engine
    from invoicing_plugin.extras import MissingExtra
    from datetime import datetime, UTC
    finvoice_xml(invoice_data(), message_id="1001-bare", timestamp=datetime.now(UTC))  # XML needs no extra
    for attempt, extra in ((lambda: render_invoice_pdf(invoice_data()), "pdf"),
                           (lambda: make_engine("postgresql://nobody@127.0.0.1:9/none"), "postgresql")):
        try:
            attempt()
        except MissingExtra as error:
            assert f"pip install 'invoicing_plugin[{extra}]'" in str(error), error
        else:
            raise AssertionError(f"no MissingExtra for [{extra}]")
    print("ok")
""")

PDF_SCRIPT = textwrap.dedent("""
    import io, sys, pypdf
    import invoicing_plugin
    assert "site-packages" in invoicing_plugin.__file__, invoicing_plugin.__file__
    from tests_factories import invoice_data
    from invoicing_plugin.documents.pdf import render_invoice_pdf
    from invoicing_plugin.documents.finvoice import finvoice_xml
    from invoicing_plugin.documents.xml_validation import validate_finvoice, validate_ubl
    from invoicing_plugin.documents.ubl import ubl_xml
    from invoicing_plugin.db.migrate import upgrade
    from datetime import datetime, UTC
    data = invoice_data()
    text = pypdf.PdfReader(io.BytesIO(render_invoice_pdf(data))).pages[0].extract_text()
    assert data.number in text and "Maksettava" in text, text[:200]
    validate_finvoice(finvoice_xml(data, message_id="1001-installed", timestamp=datetime.now(UTC)))
    validate_ubl(ubl_xml(data))
    upgrade("sqlite:///" + sys.argv[1])
    print("ok")
""")


def run(*command, **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, **options)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The wheel, built by the locked pip (which shows the build backend's warnings) from a copy of the tree."""
    folder = tmp_path_factory.mktemp("build")
    # A copy: pip builds in the source folder, and the checkout must stay clean.
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "instance", ".pytest_cache", ".hypothesis", "__pycache__",
        ".mypy_cache", ".ruff_cache"))
    result = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", folder / "wheels", source,
                 timeout=300, cwd=folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return next((folder / "wheels").glob("invoicing_plugin-*.whl")), result.stdout + result.stderr


@pytest.fixture(scope="module")
def pins(tmp_path_factory) -> Path:
    """The lock's versions as plain constraints: hashes would turn on hash checking for the wheel itself."""
    path = tmp_path_factory.mktemp("pins") / "pins.txt"
    path.write_text(re.sub(r"[ \t]*\\\n[ \t]*--hash=\S+", "", LOCK.read_text()))
    return path


def venv_with(folder: Path, pins: Path, *requirements: object) -> Path:
    """A fresh virtual environment with `requirements` at the locked versions. uv (the lock's own tool) makes
    and fills it: the same packages pip would install, in a fraction of the time."""
    venv, uv = folder / "venv", Path(sys.executable).with_name("uv")
    for command in (["venv", "--quiet", "--python", sys.executable, venv],
                    ["pip", "install", "--quiet", "--python", venv / "bin" / "python", "-c", pins, *requirements]):
        result = run(uv, *command, timeout=600, cwd=folder)
        assert result.returncode == 0, result.stderr[-3000:]
    # The test's invoice factory, copied beside the scripts: the installed package must not need the repo.
    (folder / "tests_factories.py").write_text((ROOT / "tests" / "factories.py").read_text())
    return venv


@pytest.mark.slow
def test_building_the_package_prints_no_setuptools_warnings(built):
    _, output = built
    assert "Warning" not in output, output[:3000]


@pytest.mark.slow
def test_without_extras_it_takes_an_order_on_sqlite_and_names_the_extra_a_feature_needs(built, pins, tmp_path):
    wheel, _ = built
    venv = venv_with(tmp_path, pins, wheel)
    env = {"INVOICING_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}", "PATH": "/usr/bin:/bin"}
    invoicing = venv / "bin" / "invoicing"
    for command in (["migrate"], ["create-tenant", "--name", "Kahvila Oy", "--business-id", "0737546-2",
                                  "--iban", "FI4819503000000010", "--bic", "NDEAFIHH"]):
        result = run(invoicing, *command, env=env, cwd=tmp_path, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
    slug = result.stdout.strip().splitlines()[-1]
    result = run(invoicing, "create-api-key", "--tenant", slug, "--role", "checkout", env=env, cwd=tmp_path,
                 timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    key = result.stdout.strip().splitlines()[-1]

    (tmp_path / "check.py").write_text(BARE_SCRIPT)
    result = run(venv / "bin" / "python", "check.py", env["INVOICING_DATABASE_URL"], key, ",".join(EXTRAS_MODULES),
                 cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")

    served = run(invoicing, "serve", "--port", "0", env=env, cwd=tmp_path, timeout=60)
    assert served.returncode != 0
    assert "pip install 'invoicing_plugin[server]'" in served.stderr, served.stderr


@pytest.mark.slow
def test_with_the_pdf_extra_it_renders_documents_and_migrates(built, pins, tmp_path):
    wheel, _ = built
    venv = venv_with(tmp_path, pins, f"{wheel}[pdf]", "pypdf")
    (tmp_path / "check.py").write_text(PDF_SCRIPT)
    result = run(venv / "bin" / "python", "check.py", tmp_path / "installed.sqlite3", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
