"""A partner system keeps a local copy of the directory in step, with the generated client.

    openapi-python-client generate --path openapi/openapi.yaml \\
        --config examples/client-config.yaml --output-path examples/oas_directory_client --meta none
    DIRECTORY_URL=http://127.0.0.1:5000 DIRECTORY_CLIENT_ID=… DIRECTORY_CLIENT_SECRET=… \\
        python examples/sync_directory.py directory-copy.json

The first run copies every authority and contact point the client may see; later runs ask only
for what changed since the last one (`updated_since`) and drop what came back `removed`
(archived, or a tombstone: no longer visible to this client). The copy is a JSON file.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import httpx
from oas_directory_client import AuthenticatedClient
from oas_directory_client.api.authorities import list_authorities
from oas_directory_client.api.contacts import list_contacts
from oas_directory_client.models.list_authorities_sort import ListAuthoritiesSort
from oas_directory_client.models.list_contacts_sort import ListContactsSort
from oas_directory_client.types import UNSET

PAGE_SIZE = 100


def access_token(base_url: str, client_id: str, client_secret: str) -> str:
    """OAuth 2 client credentials (the token endpoint is not part of the REST description)."""
    answer = httpx.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "directory:read"},
        auth=(client_id, client_secret),
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def changed_since(operation, sort, client: AuthenticatedClient, since: datetime | None):
    """Every entry changed since `since` (all of them without it), page after page."""
    page = 1
    while True:
        response = operation.sync_detailed(
            client=client,
            updated_since=since or UNSET,
            sort=sort,
            page=page,
            page_size=PAGE_SIZE,
        )
        if response.status_code != 200:
            raise SystemExit(f"{operation.__name__}: HTTP {response.status_code}")
        yield from response.parsed
        pagination = json.loads(response.headers.get("X-Pagination", "{}"))
        if not pagination.get("next_page"):
            return
        page = pagination["next_page"]


def sync(copy_file: Path, client: AuthenticatedClient) -> dict:
    copy = (
        json.loads(copy_file.read_text("utf-8"))
        if copy_file.exists()
        else {"synced_up_to": None, "authorities": {}, "contacts": {}}
    )
    since = datetime.fromisoformat(copy["synced_up_to"]) if copy["synced_up_to"] else None
    latest = since
    counts = {"updated": 0, "removed": 0}
    for kind, operation, sort in (
        ("authorities", list_authorities, ListAuthoritiesSort.UPDATED_AT),
        ("contacts", list_contacts, ListContactsSort.UPDATED_AT),
    ):
        for entry in changed_since(operation, sort, client, since):
            key = str(entry.id)
            if entry.removed:
                counts["removed"] += copy[kind].pop(key, None) is not None
            else:
                copy[kind][key] = entry.to_dict()
                counts["updated"] += 1
            if latest is None or entry.updated_at > latest:
                latest = entry.updated_at
    # `updated_since` includes that instant: the last entry comes again next time, harmlessly
    copy["synced_up_to"] = latest.isoformat() if latest else None
    copy_file.write_text(json.dumps(copy, indent=1, ensure_ascii=False), "utf-8")
    return counts


def main() -> None:
    base_url = os.environ["DIRECTORY_URL"].rstrip("/")
    token = access_token(
        base_url, os.environ["DIRECTORY_CLIENT_ID"], os.environ["DIRECTORY_CLIENT_SECRET"]
    )
    with AuthenticatedClient(base_url=base_url, token=token) as client:
        counts = sync(Path(sys.argv[1]), client)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
