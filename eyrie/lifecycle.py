"""The deployment state machine, as plain data.

A deployment moves draft → initialize → deploy ⇄ pause, and to drop (final) where its scope
allows it. ``deploy`` → ``deploy`` is a re-deploy (rolling out a new image or branch). The table
is the only place that says which moves exist; the model asks it through ``allowed``.

>>> allowed(DRAFT, INITIALIZE)
True
>>> allowed(DRAFT, DEPLOY)
False
>>> sorted(TARGETS[PAUSE])
['deploy', 'drop']
"""

DRAFT = "draft"
INITIALIZE = "initialize"
DEPLOY = "deploy"
PAUSE = "pause"
DROP = "drop"

STATES = [
    (DRAFT, "Draft"),
    (INITIALIZE, "Initialize"),
    (DEPLOY, "Deploy"),
    (PAUSE, "Pause"),
    (DROP, "Drop"),
]

TARGETS = {
    DRAFT: frozenset({INITIALIZE, DROP}),
    INITIALIZE: frozenset({DEPLOY, DROP}),
    DEPLOY: frozenset({DEPLOY, PAUSE, DROP}),
    PAUSE: frozenset({DEPLOY, DROP}),
    DROP: frozenset(),
}

# The action (and book) that moves a deployment into each state.
ACTIONS = {INITIALIZE: "init", DEPLOY: "deploy", PAUSE: "pause", DROP: "drop"}


def allowed(current, target):
    """Whether the table has a move from ``current`` to ``target``."""
    return target in TARGETS.get(current, ())
