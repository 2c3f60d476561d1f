"""Build shim: the metadata is in setup.cfg; this only says which folders are packages.

The top-level templates/ folder is installed as `invoicing_plugin.templates`. Folders that hold only data
(templates/invoice, documents/schemas/finvoice, ...) are listed as namespace packages too: setuptools
installs a folder's files only for a package it knows, and warns about every importable folder it was not
told about.
"""

from setuptools import find_namespace_packages, setup

TEMPLATES = "invoicing_plugin.templates"

setup(
    packages=find_namespace_packages(include=["invoicing_plugin*", "adapters*", "webhooks*"])
    + [TEMPLATES] + [f"{TEMPLATES}.{name}" for name in find_namespace_packages(where="templates")],
    package_dir={TEMPLATES: "templates"},
)
