"""Pure business rules: money, identifiers, VAT, states. No Flask, no SQLAlchemy, no I/O."""
