"""Refreshing the health and sync of many deployments on one cluster, on kmock.

    python3 bench/health_refresh.py [--deployments 1000] [--db NAME]

``--deployments`` generic deployments in Deploy on a kmock API server that holds their objects as
a run left them (written into the emulator directly: the benchmark measures the refresh, not the
books). Three figures, requests to the API server and seconds:

* the reference, one GET per object (what looking at each deployment on its own costs), with the
  same health and sync derivation;
* the survey the refresh uses, one cluster-wide list per kind with Eyrie's label selector;
* Eyrie's whole refresh of the cluster (``eyrie.cluster._refresh_health``): the survey, specs built
  from each deployment's current version, statuses written, chatter and bus.

Then the ratios of the survey to the reference. The refresh answers must equal the reference's.
"""

import argparse
import time

from common import ensure_database, environment, machine, registry, timed

DB = "eyrie_bench_health"


def per_object(kube, targets):
    """The reference: each object of each deployment read with one GET."""
    from odoo.addons.eyrie_books.k8s import builders, health  # noqa: PLC0415

    answers = {}
    for target in targets:
        desired = health.desired_objects(target.spec, target.paused)
        live = {}
        for obj in desired:
            found = kube.read(obj)
            if found is not None:
                live[health._key(obj)] = found
        work = builders.workload(target.spec)
        answers[target.key] = (health.health_of(live.get(health._key(work)), target.previous),
                               health.sync_of(desired, live))
    return answers


def setup(reg, mock, count):
    """The deployments (in Deploy, on the kmock cluster) and their objects in the emulator."""
    from odoo.addons.eyrie_books.k8s import builders, health  # noqa: PLC0415
    from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN  # noqa: PLC0415

    with environment(reg) as env:
        name = f"health {time.time_ns()}"
        project = env["eyrie.project"].create({"name": name})
        group = env["eyrie.deployment.group"].create({"name": "apps", "project_id": project.id, "type": "none"})
        scope = env["eyrie.scope"].search([], limit=1)
        cluster = env["eyrie.cluster"].create({"name": f"{name} kmock", "dry_run": False, "auth_method": "token",
                                               "api_server": mock.url, "token": TOKEN, "health_interval": 0})
        deployments = env["eyrie.deployment"].create([{
            "name": f"app {n}", "group_id": group.id, "scope_id": scope.id, "cluster_ids": [(6, 0, cluster.ids)],
            "image": "nginx:1.27", "port": 80,
        } for n in range(count)])
        # As if their Deploy runs were done: the benchmark measures the refresh, not the books.
        env.cr.execute("UPDATE eyrie_deployment SET state = 'deploy' WHERE id IN %s", [tuple(deployments.ids)])
        deployments.invalidate_recordset(["state"])
        targets = [health.Target(d.id, d._k8s_spec(cluster)) for d in deployments]
        for target in targets:
            for obj in health.desired_objects(target.spec):
                mock.emulator.objects[mock._key(obj)] = obj
            workload = builders.workload(target.spec)
            mock.set_status(workload, {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1})
        return cluster.id, targets


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--db", default=DB)
    args = parser.parse_args()
    ensure_database(args.db, "eyrie,eyrie_books")
    reg = registry(args.db)
    from odoo.addons.eyrie_books.k8s import Kube, api_client_from_token, health  # noqa: PLC0415
    from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster  # noqa: PLC0415

    print(machine())
    with RunningCluster() as running:
        mock = running.cluster
        cluster_id, targets = setup(reg, mock, args.deployments)
        kube = Kube(api_client_from_token(mock.url, TOKEN))
        results = {}
        for name, work in (("one GET per object (reference)", lambda: per_object(kube, targets)),
                           ("one list per kind (survey)", lambda: health.survey(kube, targets))):
            before = len(mock.requests())
            seconds, answers = timed(work)
            results[name] = (len(mock.requests()) - before, seconds, answers)
        reference, survey = results.values()
        assert survey[2] == reference[2], "the survey and the reference disagree"
        assert {h.state for h, _s in survey[2].values()} == {health.HEALTHY}
        assert {s.state for _h, s in survey[2].values()} == {health.IN_SYNC}

        with environment(reg) as env:
            cluster = env["eyrie.cluster"].browse(cluster_id)
            before = len(mock.requests())
            seconds, answers = timed(cluster._refresh_health)
            results["Eyrie's refresh of the cluster"] = (len(mock.requests()) - before, seconds, answers)
        assert answers == survey[2], "Eyrie's refresh disagrees with the survey"

    print(f"{args.deployments} deployments in Deploy, {len(health.desired_objects(targets[0].spec))} objects each")
    for name, (requests, seconds, _answers) in results.items():
        print(f"{name:34} {requests:6} requests {seconds:8.2f} s")
    print(f"survey / reference: {survey[0] / reference[0]:.4f} of the requests, "
          f"{survey[1] / reference[1]:.3f} of the time")


if __name__ == "__main__":
    main()
