"""Every Redis key and channel Overt uses, in one place."""

PREFIX = "overt:"

# Events accepted by a backend, waiting for a worker (LPUSH by backends, popped from the tail).
KEY_INCOMING = PREFIX + "events:incoming"
# Events a drain job has taken but not yet staged; recovered if the job dies.
KEY_PROCESSING = PREFIX + "events:processing:{job}"
KEY_PROCESSING_INDEX = PREFIX + "events:processing"  # zset: job -> time taken (ms)
# Filtered, pseudonymised records waiting to be sealed into a batch (oldest at the head).
KEY_STAGING = PREFIX + "staging"
# Event ids already staged, per day of the event's timestamp (exactly-once delivery).
KEY_SEEN = PREFIX + "seen:{day}"
# Drops by reason since the last sealed batch (hash reason -> count).
KEY_DROPS = PREFIX + "drops"
# Records taken for a batch that is being written; recovered if the sealer dies.
KEY_SEALING = PREFIX + "sealing:{batch}"
KEY_SEALING_INDEX = PREFIX + "sealing"  # hash: batch id -> json meta
# Index of sealed batches (hash: batch id -> json summary of its card).
KEY_BATCHES = PREFIX + "batches"
# Totals of that index, kept with it (backend/core/dataset_totals.py): hash `shards`, `events`,
# `v:<policy version>` -> events; and hash pseudonym -> the number of indexed shards holding it.
KEY_DATASET_TOTALS = PREFIX + "batches:totals"
KEY_DATASET_CONTRIBUTORS = PREFIX + "batches:contributors"
# Serialises writers of shards: sealing and erasure.
KEY_DATASETS_LOCK = PREFIX + "lock:datasets"
# Set while a drain job is queued, so backends enqueue one job per burst, not one per frame.
KEY_DRAIN_PENDING = PREFIX + "drain:pending"
KEY_TICK_PENDING = PREFIX + "tick:pending"

KEY_EMPLOYEES = PREFIX + "employees"  # hash: employee -> json {team, enrolled_at}
KEY_TOKENS = PREFIX + "tokens"  # hash: sha256(token) -> json {employee, team, device, issued_at}
KEY_POLICY = PREFIX + "policy"  # json of the current policy
KEY_CONSENT = PREFIX + "consent:{employee}"  # hash: category -> ms the grant took effect
KEY_LEDGER = PREFIX + "ledger:{employee}"  # list of json consent changes, append-only
KEY_ERASED = PREFIX + "erased"  # hash: employee -> ms of the latest erasure
KEY_RECEIPTS = PREFIX + "receipts:{employee}"  # list of json erasure receipts

KEY_PAUSES = PREFIX + "pauses"  # hash: pause id -> json record (active and ended)
KEY_PAUSES_BY_TIME = PREFIX + "pauses:by_time"  # zset: pause id -> since_ms (newest = highest)
KEY_PAUSES_ACTIVE = PREFIX + "pauses:active"  # hash: "all" | "team:T" | "employee:E" -> pause id
KEY_PAUSE_ACKS = PREFIX + "pause:{pause_id}:acks"  # hash: device -> json {employee, at}

KEY_CONNECTIONS = PREFIX + "connections"  # zset: connection id -> last seen (s)
KEY_CONNECTION_INFO = PREFIX + "connections:info"  # hash: connection id -> json
KEY_CLIENT_DROPS = PREFIX + "client:dropped"  # hash: device -> events dropped by full outboxes
# Rarity gate (backend/core/rarity.py): distinct contributors per keyed word hash, in 2^15 buckets
# (hash: 6 bytes of word hash -> 4-byte contributor fingerprints, or a "common" marker).
KEY_RARITY_BUCKET = PREFIX + "rare:{bucket}"
KEY_RARITY_CONTRIBUTORS = PREFIX + "rarity:contributors"  # set of contributor fingerprints
# Random id of the counter's contents: workers drop what they cached of it when it changes.
KEY_RARITY_EPOCH = PREFIX + "rarity:epoch"

CHANNEL_CONTROL = PREFIX + "control"  # pub/sub: pause, resume, consent, policy

QUEUE_NAME = "overt"


def key(template: str, **parts: str) -> str:
    """Fill a key template such as KEY_CONSENT with its parts."""
    return template.format(**parts)


def part_of(template: str, filled: str | bytes) -> str:
    """Return the one part filled into a key template, e.g. the employee of a KEY_CONSENT key."""
    filled = filled.decode() if isinstance(filled, bytes) else filled
    head, _, rest = template.partition("{")
    tail = rest.partition("}")[2]
    if not (filled.startswith(head) and filled.endswith(tail)):
        raise ValueError(f"{filled!r} is not a key of {template!r}")
    return filled[len(head) : len(filled) - len(tail)]


def pause_field(scope: dict) -> str:
    """Return the field naming `scope` in KEY_PAUSES_ACTIVE: "all", "team:T" or "employee:E"."""
    if scope.get("all"):
        return "all"
    ((kind, value),) = scope.items()
    return f"{kind}:{value}"


def pause_fields(employee: str, team: str) -> list[str]:
    """Return the KEY_PAUSES_ACTIVE fields that cover an employee of `team`, broadest first."""
    return ["all", f"team:{team}", f"employee:{employee}"]


KEY_SIGNALS = PREFIX + "signals"  # hash: device -> json {gpc, dnt} from its latest hello

# The /me page's sign-in links and sessions, and retention.
KEY_ME_LINK = PREFIX + "me:link:{link}"  # json identity behind a one-time /me link (short TTL)
KEY_ME_SESSION = PREFIX + "me:session:{session}"  # json identity of a /me browser session (TTL)
KEY_RETENTION_DUE = PREFIX + "retention:due"  # set while a retention run is scheduled (TTL)
KEY_BATCHES_DELETED = PREFIX + "batches:deleted"  # hash: batch id -> json {date, events, at}

# Events a worker could not process (a poison event), set aside with the reason so that the rest
# of their take is staged or sealed: list of json {stage, reason, at, event, e, t, c, raw}.
KEY_DEAD_LETTER = PREFIX + "deadletter"
# The admin console: hash-chained audit log, labelled admin tokens and browser sessions.
KEY_AUDIT_LOG = PREFIX + "audit:log"  # list of json entries, oldest first, never trimmed
KEY_AUDIT_HEAD = PREFIX + "audit:head"  # hash: seq, hash of the newest entry
KEY_AUDIT_ARCHIVE_LOCK = PREFIX + "audit:archive:lock"  # one archive run at a time
KEY_ADMIN_TOKENS = PREFIX + "admin:tokens"  # hash: sha256(token) -> json {label, created_at}
KEY_ADMIN_SESSION = PREFIX + "admin:session:{session}"  # json {label, token_hash} (TTL)
KEY_DROPS_TOTAL = PREFIX + "drops:total"  # hash: reason -> events dropped in sealed batches

# When events last arrived under each policy version (so `overt status` can say none have).
KEY_POLICY_LAST_ACCEPTED = PREFIX + "policy:last_accepted"  # hash: policy version -> ms
