"""States of book runs (``eyrie.job``) and of their steps (``eyrie.job.step``), as plain data.

A run is queued, then running while its steps execute one after the other; it ends done, failed
(a step failed: it can be resumed from that step, or cancelled) or cancelled. A new run of the
same deployment may start only when none is queued or running.

>>> sorted(ACTIVE)
['queued', 'running']
"""

QUEUED = "queued"
RUNNING = "running"
FAILED = "failed"
DONE = "done"
CANCELLED = "cancelled"
PENDING = "pending"  # a step not reached yet

RUN_STATES = [(QUEUED, "Queued"), (RUNNING, "Running"), (FAILED, "Failed"), (DONE, "Done"), (CANCELLED, "Cancelled")]
STEP_STATES = [(PENDING, "Pending"), *RUN_STATES]

ACTIVE = frozenset({QUEUED, RUNNING})
FINAL = frozenset({DONE, CANCELLED})
