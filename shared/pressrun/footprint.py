"""What one article takes up in the tables, measured as DynamoDB measures items.

DynamoDB refuses an item over 400 KB, a transaction over 4 MB and a sort key over 1,024 bytes. An
article that broke one would fail its writes on every retry and end in a dead-letter queue with no
word to the editor; so the limits are checked on the way in, where a refusal comes back as a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pressrun.index import memberships
from pressrun.model import ArticleRecord, Problem

# One version of an article is its record and one listing entry per listing it is in (the site's,
# and up to 24 sections, tags and authors: pressrun.index), each a copy of its listing fields. The
# record is one item of the articles table. An entry is one item of the index, and a section's
# summary holds SECTION_SIZE (3) of them: at ENTRY_BYTES_BUDGET each, a summary stays far below the
# 400 KB cap. An index update writes at most 25 entries and 10 section summaries: 25 x 64 KB + 10 x
# 3 x 64 KB = 3.5 MB, below the 4 MB a transaction carries. An article at every field limit of
# `validation`, in four-byte characters, still fits both (a test keeps it so).
RECORD_BYTES_BUDGET = 128 * 1024
ENTRY_BYTES_BUDGET = 64 * 1024
# The index's sort key is the publication time and the source key (21 bytes and the key), and DynamoDB
# caps a sort key at 1,024 bytes, while S3 allows keys of 1,024 bytes.
MAX_SOURCE_KEY_BYTES = 1_000


def item_size(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB counts it, the item given as JSON values (`model_dump(mode="json")`).
    Attributes that are None are left out, as `aws.dynamodb.to_item` leaves them out."""
    return sum(_utf8(name) + _size(value) for name, value in item.items() if value is not None)


def _size(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        digits = str(abs(value)).replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, list | tuple):
        return 3 + sum(_size(element) + 1 for element in value)
    if isinstance(value, Mapping):
        return 3 + sum(_utf8(name) + _size(element) + 1 for name, element in value.items())
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def record_size(record: ArticleRecord) -> int:
    """The record as the articles table holds it."""
    return item_size(record.model_dump(mode="json", exclude_defaults=True))


def largest_entry_size(record: ArticleRecord) -> int:
    """Its largest entry in the index once it is live (an entry names the listing it is in)."""
    live = record.model_copy(update={"status": "published"})
    return max((item_size(entry.model_dump(mode="json")) for entry in memberships(live).values()), default=0)


def footprint_problems(record: ArticleRecord) -> list[Problem]:
    """Why the tables cannot hold this record, if they cannot: each reason as the editor reads it."""
    key_bytes = _utf8(record.source_key)
    if key_bytes > MAX_SOURCE_KEY_BYTES:
        message = f"its name is {key_bytes:,} bytes long; the limit is {MAX_SOURCE_KEY_BYTES:,} bytes"
        return [Problem(field="file", message=message)]
    for size, budget in (
        (record_size(record), RECORD_BYTES_BUDGET),
        (largest_entry_size(record), ENTRY_BYTES_BUDGET),
    ):
        if size > budget:
            message = (
                f"needs {size:,} bytes in the site's tables; the limit is {budget:,} bytes."
                " Shorten the summary, the title, the authors' names or the category names"
            )
            return [Problem(field="article", message=message)]
    return []
