"""The dataset-level card: `README.md` in the Hugging Face dataset card format.

Its YAML header names the Parquet files (`configs`/`data_files`), the features of the fixed
schema and the license, so `datasets.load_dataset(<datasets folder>)` needs nothing else; its
body is the datasheet of the whole dataset. Rewritten after every seal, erasure and retention run.
"""

from __future__ import annotations

import hashlib

import yaml

from .dataset_cards import (
    LICENSE,
    LICENSE_LINK,
    LICENSE_NAME,
    PSEUDONYM_METHOD,
    TERMS_OF_USE,
    redaction_rules_version,
)
from .dataset_manifest import MANIFEST, last_line
from .dataset_schema import DATASET_SCHEMA_VERSION, FIELDS, hf_features
from .dataset_storage import Storage
from .datasets import JSONL_GLOB, SHARD_GLOB

README = "README.md"
LOADING = 'ds = load_dataset("parquet", data_dir="<this folder>/data", split="train")'
# A JSON reader guesses each column's type from the first 10 MB it reads: a column null there
# (most are, event types each having their own) is typed null and the next file fails to load.
# The card's features type every column, and `load_dataset(<folder>)` reads them.
JSONL_LOADING = 'ds = load_dataset("<this folder>", split="train")  # typed by the features above'


def to_yaml(value) -> str:
    """Return `value` (dicts, lists, strings, numbers) as block YAML, keys in their given order."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n")


def license_header() -> dict:
    """Return a card's license keys: `other` with its id and a link to the card's terms."""
    return {"license": LICENSE, "license_name": LICENSE_NAME, "license_link": LICENSE_LINK}


def header(data_files: str = SHARD_GLOB) -> dict:
    """Return the YAML header of the dataset card whose shards `data_files` matches."""
    return {
        **license_header(),
        "pretty_name": "Overt: web-app usage captured with consent",
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": "train", "path": data_files}],
            }
        ],
        "dataset_info": {"features": hf_features()},
    }


def render(
    manifest: tuple[int, bytes | None], totals: dict, policy: dict, key_id: str | None
) -> str:
    """Return the dataset card for the index's `totals` (backend/core/dataset_totals.py) and the
    manifest's line count and last line."""
    count, last = manifest
    head = hashlib.sha256(last).hexdigest() if last else None
    versions = totals["policy_versions"]
    present = ", ".join(f"`{v}` ({n})" for v, n in sorted(versions.items())) or "none"
    rows = "\n".join(f"| `{name}` | {kind} | {text} |" for name, kind, text in FIELDS)
    body = f"""# Overt dataset

Usage of internal web apps, captured in employees' browsers with their opt-in consent, redacted
in the browser and again on the server, with each employee replaced by a keyed pseudonym.

| | |
|---|---|
| purpose | {policy["purpose"]} |
| categories asked | {", ".join(policy["categories"])} |
| allowed origins | {", ".join(policy["allowed_origins"]) or "none"} |
| retention | {policy["retention_days"]} days after sealing (see each card's delete-by date) |
| current policy version | `{policy["version"]}` |
| policy versions in the records | {present} |
| shards | {totals["shards"]} |
| events | {totals["events"]} |
| contributors | {totals["contributors"]} (pseudonymous) |
| schema version | {DATASET_SCHEMA_VERSION} |
| redaction rules version | `{redaction_rules_version()}` |
| pseudonymisation | {PSEUDONYM_METHOD}; key id `{key_id}` |
| manifest | `{MANIFEST}`: {count} line(s), last line sha256 `{head}` |

## Terms of use

{TERMS_OF_USE}

## Loading

```python
from datasets import load_dataset
{LOADING}
```

Every shard has every column below (null where an event type has no such field). Check files
against `{MANIFEST}` with `overt datasets verify`; sync a copy with
`overt datasets export --out DIR --since LINE`.

## Fields

| column | type | description |
|---|---|---|
{rows}
"""
    return f"---\n{to_yaml(header())}\n---\n\n{body}"


def header_problem(
    readme: str, data_files: str = SHARD_GLOB, features: list[dict] | None = None
) -> str | None:
    """Say what is wrong with the YAML header of dataset card `readme`, or None: its `configs`
    must name `data_files` and its features be `features` (default: the record schema's; the
    verifier passes those of the shards themselves). `load_dataset(<folder>)` reads the data
    with them, so one edited (a feature's type, one left out, other files) loads the data
    wrongly or not at all. Other keys (license, name) are not checked."""
    if not readme.startswith("---\n") or "\n---\n" not in readme[3:]:
        return "has no YAML header (the features and data files readers load with)"
    try:
        found = yaml.safe_load(readme[4:].split("\n---\n", 1)[0])
    except yaml.YAMLError:
        return "its YAML header does not parse"
    if not isinstance(found, dict):
        return "its YAML header is not a mapping"
    wanted = header(data_files)
    if found.get("configs") != wanted["configs"]:
        return f"its YAML header's configs do not name {data_files}"
    info = found.get("dataset_info")
    expected = hf_features() if features is None else features
    if not isinstance(info, dict) or info.get("features") != expected:
        return "its YAML header's features are not those of the shards"
    return None


def made_from(count: int, head: str | None) -> str:
    """Say which manifest line a steps export holds the dataset as of (`head`: that line's
    sha256)."""
    if not count:
        return "Made from a dataset without a manifest.\n"
    return (
        f"Made from the dataset as of `manifest.jsonl` line {count} (sha256 `{head}`): a later "
        f"`rewritten` or `deleted` line (an erasure, or retention) is not applied here; make "
        f"this export again after one.\n"
    )


def for_jsonl(readme: str) -> str:
    """Return the card of a JSONL export from the dataset's card `readme` (the same datasheet,
    the header and the loading example naming the JSONL files)."""
    body = readme.split("\n---\n", 1)[1] if readme.startswith("---\n") else readme
    body = body.replace(LOADING, JSONL_LOADING)
    return f"---\n{to_yaml(header(JSONL_GLOB))}\n---\n{body}"


def write_readme(
    storage: Storage,
    totals: dict,
    policy: dict,
    key_id: str | None,
    manifest: tuple[int, bytes | None] | None = None,
) -> None:
    """Regenerate the dataset card from the index's `totals` (dataset_totals.read_totals);
    `manifest`: the manifest's line count and last line, when just written."""
    manifest = last_line(storage) if manifest is None else manifest
    storage.write(README, render(manifest, totals, policy, key_id).encode())
