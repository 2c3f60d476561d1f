"""`pip install .` (not editable) into a fresh virtual environment still finds its templates, schemas and
migrations, and renders an invoice's documents."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
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


@pytest.mark.slow
def test_a_non_editable_install_renders_documents_and_migrates(tmp_path):
    # Built from a copy: pip builds in the source folder, and the checkout must stay clean.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "instance", ".pytest_cache", ".hypothesis", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"),
                    str(source), "pypdf"], check=True, timeout=600, cwd=tmp_path)
    # The test's invoice factory, copied beside the script: the installed package must not need the repo.
    (tmp_path / "tests_factories.py").write_text((ROOT / "tests" / "factories.py").read_text())
    (tmp_path / "check.py").write_text(SCRIPT)
    result = subprocess.run([str(python), "check.py", str(tmp_path / "installed.sqlite3")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
