"""Build shim: the metadata is in setup.cfg; this only maps the top-level templates/ folder into the
package as `invoicing_plugin.templates`, so an installed (non-editable) package finds its templates."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["invoicing_plugin", "invoicing_plugin.*", "adapters", "adapters.*",
                                    "webhooks", "webhooks.*"]) + ["invoicing_plugin.templates"],
    package_dir={"invoicing_plugin.templates": "templates"},
)
