"""The files a provider uploaded (the Responses API mode's library images), remembered in the database.

One row per (provider alias, API key fingerprint, bytes' SHA-256): a later job sends the same file id
instead of the bytes, until the file expires or the API says it is gone. The key itself is never stored.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ProviderFile


def key_fingerprint(api_key: str | None) -> str:
    """Enough of the key's hash to tell accounts apart; nothing that could be used as the key."""
    return hashlib.sha256((api_key or "").encode()).hexdigest()[:16]


class DatabaseFileCache:
    """providers.base.FileCache on the ProviderFile table, for one provider alias and key."""

    def __init__(self, alias: str, api_key: str | None) -> None:
        self.alias, self.fingerprint = alias, key_fingerprint(api_key)

    def rows(self) -> QuerySet[ProviderFile]:
        return ProviderFile.objects.filter(provider=self.alias, key_fingerprint=self.fingerprint)

    def get(self, sha256: str) -> str | None:
        now = timezone.now()
        row = self.rows().filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), sha256=sha256).first()
        return row.file_id if row else None

    def put(self, sha256: str, file_id: str, expires_at: int | None) -> None:
        expires = datetime.fromtimestamp(expires_at, tz=UTC) if expires_at else None
        ProviderFile.objects.update_or_create(provider=self.alias, key_fingerprint=self.fingerprint, sha256=sha256,
                                              defaults={"file_id": file_id, "expires_at": expires})

    def forget(self, sha256: str) -> None:
        self.rows().filter(sha256=sha256).delete()
