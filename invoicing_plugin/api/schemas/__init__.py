"""marshmallow schemas of the API: what comes in is validated here, what goes out is documented here."""
