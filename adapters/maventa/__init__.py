"""Maventa e-invoice operator channel: its REST API (OAuth2, invoice upload, status) and a sandbox of it."""

from .channel import MaventaChannel, maventa_channel
from .config import FORMATS, MaventaConfig

__all__ = ["FORMATS", "MaventaChannel", "MaventaConfig", "maventa_channel"]
