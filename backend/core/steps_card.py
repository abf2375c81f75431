"""The schema of a steps export's lines (backend/core/steps.py) and the card written beside them.

The card (README.md) gives readers the type of every column: a JSON reader left to guess types
from the first 10 MB it reads types `goal` null when those hold only tab runs (an employee
starts few tasks), and then fails on the first task's goal.
"""

from __future__ import annotations

import pyarrow as pa

from .dataset_cards import TERMS_OF_USE
from .dataset_readme import license_header, made_from, to_yaml
from .dataset_schema import ELEMENT, hf_features

STEPS = "steps.jsonl"
# The export states no purpose or delete-by date of its own: those of its dataset apply.
STEPS_TERMS = (
    "These episodes are built from an Overt dataset; the terms of that dataset's card (the "
    "README.md of its datasets folder, which states the purpose and the delete-by date) apply "
    "to them: " + TERMS_OF_USE.replace("on this card", "on that card")
)
# One line of steps.jsonl: an episode.
OBSERVATION = pa.struct(
    [("url", pa.string()), ("title", pa.string()), ("elements", pa.list_(ELEMENT))]
)
STEP = pa.struct(
    [
        ("step", pa.int64()),
        ("tab", pa.int64()),
        ("url", pa.string()),
        ("ts", pa.int64()),
        ("action", pa.string()),
        ("action_type", pa.string()),
        ("bid", pa.string()),
        ("observation", OBSERVATION),
    ]
)
EPISODE_SCHEMA = pa.schema(
    [
        ("episode", pa.string()),
        ("kind", pa.string()),
        ("contributor", pa.string()),
        ("goal", pa.string()),
        ("outcome", pa.string()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("steps", pa.list_(STEP)),
    ]
)


def steps_card(count: int = 0, last_sha: str | None = None) -> str:
    """Return the README.md of a steps export: a Hugging Face card typing every column, naming
    the manifest line (`count`, the sha256 `last_sha` of that line) it was made from."""
    head = {
        **license_header(),
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": STEPS}]}],
        "dataset_info": {"features": hf_features(EPISODE_SCHEMA)},
    }
    return (
        f"---\n{to_yaml(head)}\n---\n\n# Overt trajectories\n\nOne episode per line of "
        f'`{STEPS}` (docs/trajectories.md). Load with `load_dataset("<this folder>")`.\n'
        f"\n{made_from(count, last_sha)}"
        f"\n## Terms of use\n\n{STEPS_TERMS}\n"
    )
