"""Inbound callbacks from external services (/webhooks/<provider>) and outbound notifications to shops."""
