"""Ropo24 / Ropo One collection service: REST client (token auth, JSON jobs), channel, loopback sandbox."""

from .adapter import Ropo24Channel, ropo24_channel
from .client import DEFAULT_BASE_URL, Ropo24Client, Ropo24Config
from .records import JobInfo, JobRef, JobResponse, StatusUpdate

__all__ = [
    "DEFAULT_BASE_URL", "JobInfo", "JobRef", "JobResponse", "Ropo24Channel", "Ropo24Client", "Ropo24Config",
    "StatusUpdate", "ropo24_channel",
]
