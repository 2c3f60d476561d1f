"""Outbound integrations, one folder per service; each knows its protocol and nothing of Flask or the database."""
