"""What a book would do on one cluster, without sending a write: its steps run over a
:class:`~.k8s.preview.PreviewKube` (see there). No Odoo import here: the deployment's
``preview_action`` gives the steps, the spec and where to read from.
"""

from .k8s import DryRunKube, KubeError
from .k8s.preview import PreviewKube
from .steps import NotReady, run_step

ACTIONS = ("create", "change", "unchanged", "delete")


def preview_steps(source, spec, steps):
    """The entries (one per object, in the order the steps reach them) of running ``steps``, a list
    of (step kind, parameters), for ``spec`` on ``source``. A cluster that cannot be read raises
    the Kubernetes layer's error; nothing is ever sent to it but reads."""
    kube = PreviewKube(source)
    for kind, params in steps:
        try:
            run_step(kind, kube, spec, {**params, "waiting": False}, _ignore)
        except NotReady:
            continue  # waiting is not previewed
    return kube.entries


def replay(runs):
    """A dry run holding what ``runs`` (each a (spec, steps) pair, oldest first) would have sent: what
    a dry-run cluster "has". A step that failed then fails here too, and is skipped alike."""
    dry = DryRunKube()
    for spec, steps in runs:
        for kind, params in steps:
            try:
                run_step(kind, dry, spec, {**params, "waiting": False}, _ignore)
            except (NotReady, KubeError, ValueError):
                continue
    dry.requests.clear()
    return dry


def counts(entries):
    """How many objects each action concerns.

    >>> counts([{"action": "create"}, {"action": "unchanged"}, {"action": "create"}])
    {'create': 2, 'change': 0, 'unchanged': 1, 'delete': 0}
    """
    return {action: sum(entry["action"] == action for entry in entries) for action in ACTIONS}


def _ignore(_line):
    """Steps log what they did; a preview reports its entries instead."""
