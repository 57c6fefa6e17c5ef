"""The deployment state machine, as plain data.

A deployment moves draft → initialize → deploy ⇄ pause, and to drop (final) where its scope
allows it. ``deploy`` → ``deploy`` is a re-deploy (rolling out a new image or branch). The table
is the only place that says which moves exist; the model asks it through ``allowed``.
``RESTORES`` holds the moves back that cancelling an unfinished Initialize or Deploy makes.

>>> allowed(DRAFT, INITIALIZE)
True
>>> allowed(DRAFT, DEPLOY)
False
>>> sorted(TARGETS[PAUSE])
['deploy', 'drop']
>>> restorable(INITIALIZE, DRAFT), restorable(PAUSE, DEPLOY)
(True, False)
>>> action_key(DEPLOY, DEPLOY), action_key(PAUSE, DEPLOY)
('redeploy', 'deploy')
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

# Cancelling the run of a move that did not finish returns the deployment where it was: an
# Initialize to Draft, a Deploy to Initialize or Pause (a re-deploy stays Deploy). A Pause or a
# Drop has no way back: what it stopped or deleted stays so.
RESTORES = {
    INITIALIZE: frozenset({DRAFT}),
    DEPLOY: frozenset({INITIALIZE, PAUSE}),
}

# The action (and book) that moves a deployment into each state.
ACTIONS = {INITIALIZE: "init", DEPLOY: "deploy", PAUSE: "pause", DROP: "drop"}
# The states each book's action moves into (the reverse of ACTIONS).
TARGET_OF = {action: state for state, action in ACTIONS.items()}

# The user's actions (buttons) that move the state, and where each moves.
ACTION_TARGETS = {"initialize": INITIALIZE, "deploy": DEPLOY, "redeploy": DEPLOY, "pause": PAUSE, "drop": DROP}


def allowed(current, target):
    """Whether the table has a move from ``current`` to ``target``."""
    return target in TARGETS.get(current, ())


def restorable(current, previous):
    """Whether cancelling the move into ``current`` may return to ``previous``."""
    return previous in RESTORES.get(current, ())


def action_key(current, target):
    """The button that moves from ``current`` to ``target``: Deploy again is a Re-deploy."""
    return "redeploy" if current == target == DEPLOY else next(
        key for key, state in ACTION_TARGETS.items() if state == target
    )
