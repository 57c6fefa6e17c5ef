"""Refreshing the health and sync of many deployments on one cluster, on kmock.

    python3 bench/health_refresh.py [--deployments 1000] [--sample 100] [--db NAME]

``--deployments`` generic deployments in Deploy on a kmock API server that holds their objects as
a run left them (written into the emulator directly: the benchmark measures the refresh, not the
books). Three figures, requests to the API server and seconds:

* the reference, one GET per object (what looking at each deployment on its own costs), with the
  same health and sync derivation, measured on ``--sample`` of the deployments (kmock finds an
  object by scanning all it holds, so each GET costs more the more objects there are) and scaled
  to all of them;
* the survey the refresh uses, one cluster-wide list per kind with Eyrie's label selector;
* Eyrie's whole refresh of the cluster (``eyrie.cluster._refresh_health``): the survey, specs built
  from each deployment's current version, statuses written, chatter and bus.

Then the ratios of the survey to the reference. The refresh answers must equal the reference's.
"""

import argparse
import logging
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
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--db", default=DB)
    args = parser.parse_args()
    ensure_database(args.db, "eyrie,eyrie_books")
    reg = registry(args.db)
    from odoo.addons.eyrie_books.k8s import Kube, api_client_from_token, health  # noqa: PLC0415
    from odoo.addons.eyrie_books.k8s.tests.kmock_server import TOKEN, RunningCluster  # noqa: PLC0415

    print(machine())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    with RunningCluster() as running:
        mock = running.cluster
        cluster_id, targets = setup(reg, mock, args.deployments)
        kube = Kube(api_client_from_token(mock.url, TOKEN))
        results = {}
        sample = targets[:args.sample]
        scale = len(targets) / len(sample)
        before = len(mock.requests())
        seconds, reference_answers = timed(lambda: per_object(kube, sample))
        results[f"one GET per object (reference, x{scale:g})"] = (
            round((len(mock.requests()) - before) * scale), seconds * scale)
        before = len(mock.requests())
        seconds, answers = timed(lambda: health.survey(kube, targets))
        results["one list per kind (survey)"] = (len(mock.requests()) - before, seconds)
        assert {key: answers[key] for key in reference_answers} == reference_answers, "the survey disagrees"
        assert {h.state for h, _s in answers.values()} == {health.HEALTHY}
        assert {s.state for _h, s in answers.values()} == {health.IN_SYNC}

        with environment(reg) as env:
            cluster = env["eyrie.cluster"].browse(cluster_id)
            before = len(mock.requests())
            seconds, refreshed = timed(cluster._refresh_health)
            results["Eyrie's refresh of the cluster"] = (len(mock.requests()) - before, seconds)
        assert refreshed == answers, "Eyrie's refresh disagrees with the survey"

    print(f"{args.deployments} deployments in Deploy, {len(health.desired_objects(targets[0].spec))} objects each")
    for name, (requests, seconds) in results.items():
        print(f"{name:40} {requests:6} requests {seconds:8.2f} s")
    (reference, survey, refresh) = results.values()
    print(f"survey / reference: {survey[0] / reference[0]:.4f} of the requests, {survey[1] / reference[1]:.3f} of "
          f"the time; the whole refresh: {refresh[1] / reference[1]:.3f} of the reference's time")


if __name__ == "__main__":
    main()
