"""The archive of stored documents in S3-compatible storage (boto3, the `archive` extra)."""

from .s3 import ArchivedObject, ArchiveSettings, S3Archive, archive_key, extension

__all__ = ["ArchiveSettings", "ArchivedObject", "S3Archive", "archive_key", "extension"]
