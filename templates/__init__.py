"""Jinja2 templates, styles and translations of the documents (installed as invoicing_plugin.templates)."""
