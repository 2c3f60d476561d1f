"""Documents of an invoice: the PDF (Jinja2 + WeasyPrint), the e-invoice formats, number and date formats."""
