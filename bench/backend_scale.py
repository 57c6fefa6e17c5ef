"""Backend reads at scale: Eyrie's deployment kanban and list against Odoo's own partner views.

    python3 bench/backend_scale.py [--records 10000] [--rounds 30]

What the web client asks the server when it opens each view, with the fields of the view's own
arch (relational fields with their display name, as the client reads them), as the admin user
(record rules apply), each request on a new cursor:

* kanban: first page (``web_search_read``, 40 records);
* list: first page (``web_search_read``, 80 records);
* grouped kanban: ``web_read_group`` unfolding each group's first 40 records, by ``state`` for
  deployments (their kanban's default grouping) and by ``type`` for partners (both four groups).

Measured at 100 records and again after topping up to ``--records`` (deployments with 5 versions
and 2 runs each; partners spread over the four types). Prints the median time of each request,
the ratio Eyrie / partners, and the SQL queries per request at both sizes (which must not grow).
The database is copied from an empty template each run; nothing is asserted.
"""

import argparse

from common import ensure_database, environment, figures, machine, registry, timed
from lxml import etree

TEMPLATE, DB = "eyrie_bench_template", "eyrie_bench_scale"
ADMIN = 2
KANBAN_LIMIT, LIST_LIMIT = 40, 80
STATES = ("draft", "initialize", "deploy", "pause")
PARTNER_TYPES = ("contact", "invoice", "delivery", "other")


def specification(env, model, view_type):
    """The read specification the web client derives from the view's arch."""
    views = env[model].get_views([(False, view_type)])
    arch = etree.fromstring(views["views"][view_type]["arch"])
    fields = views["models"][model]["fields"]
    spec = {}
    for node in arch.iter("field"):
        if any(parent.tag == "field" for parent in node.iterancestors()):
            continue  # a sub-view's field: not read by this view
        name = node.get("name")
        relational = fields[name]["type"] in ("many2one", "many2many", "one2many")
        spec[name] = {"fields": {"display_name": {}}} if relational else {}
    return spec


def requests(env, model, group_by):
    """The three requests of one model, as callables taking an environment."""
    kanban, listing = specification(env, model, "kanban"), specification(env, model, "list")
    return {
        "kanban": lambda env: env[model].web_search_read([], kanban, limit=KANBAN_LIMIT, count_limit=10001),
        "list": lambda env: env[model].web_search_read([], listing, limit=LIST_LIMIT, count_limit=10001),
        "grouped kanban": lambda env: env[model].with_context(read_group_expand=True).web_read_group(
            [], [group_by], ["__count"], auto_unfold=True,
            unfold_read_specification=kanban, unfold_read_default_limit=KANBAN_LIMIT,
        ),
    }


# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------

def add_partners(env, count):
    start = env["res.partner"].search_count([])
    env["res.partner"].with_context(tracking_disable=True).create([{
        "name": f"Partner {n}", "email": f"p{n}@example.com", "phone": f"+32 2 555 {n:05}",
        "city": "Brussels", "is_company": n % 5 == 0, "type": PARTNER_TYPES[n % 4],
    } for n in range(start, start + count)])


def eyrie_fixtures(env):
    """Projects, groups and clusters the deployments are spread over (made once)."""
    groups = env["eyrie.deployment.group"].search([])
    if not groups:
        clusters = env["eyrie.cluster"].create([{"name": f"cluster {n}", "dry_run": True} for n in range(3)])
        projects = env["eyrie.project"].create([{"name": f"Project {n}"} for n in range(10)])
        groups = env["eyrie.deployment.group"].create([{
            "name": f"Group {n}", "project_id": project.id, "type": kind,
        } for project in projects for n, kind in enumerate(("odoo", "pgo", "pxc", "none"))])
    else:
        clusters = env["eyrie.cluster"].search([])
    return groups, clusters, env["eyrie.scope"].search([])


def add_deployments(env, count):
    """``count`` deployments with 5 versions each (4 image changes after creation), spread over the
    states, and two finished runs each."""
    groups, clusters, scopes = eyrie_fixtures(env)
    start = env["eyrie.deployment"].search_count([])
    env = env(context=dict(env.context, tracking_disable=True))
    for first in range(start, start + count, 1000):
        batch = range(first, min(first + 1000, start + count))
        deployments = env["eyrie.deployment"].create([{
            "name": f"app {n}", "group_id": groups[n % len(groups)].id, "scope_id": scopes[n % len(scopes)].id,
            "cluster_ids": [(6, 0, clusters[: 1 + n % 2].ids)], "image": "ghcr.io/acme/app:1.0",
            "branch": "main", "port": 8080,
        } for n in batch])
        for minor in range(1, 5):
            deployments.write({"image": f"ghcr.io/acme/app:1.{minor}"})
    # States and runs as they would be after use; written directly, the reads are what is measured.
    env.flush_all()
    env.cr.execute("UPDATE eyrie_deployment SET state = (%s::varchar[])[1 + id %% 4]", [list(STATES)])
    book = env["eyrie.book"].search([("action", "=", "deploy")], limit=1)
    env.cr.execute("""
        INSERT INTO eyrie_job (deployment_id, company_id, book_id, action, cluster_id, state, user_id,
                               date_start, date_end, create_uid, write_uid, create_date, write_date)
        SELECT d.id, d.company_id, %s, 'deploy', %s, s.state, %s, now(), now(), %s, %s, now(), now()
          FROM eyrie_deployment d, unnest(ARRAY['done', 'failed']) AS s(state)
         WHERE d.id NOT IN (SELECT deployment_id FROM eyrie_job)
    """, [book.id, clusters[0].id, ADMIN, ADMIN, ADMIN])
    env.invalidate_all()


# ----------------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------------

def measure(reg, suites, rounds):
    """Median seconds and SQL query count of each request, interleaved round by round so that
    both models see the same machine."""
    times = {key: [] for key in suites}
    queries = {}
    for round_ in range(rounds + 3):
        for key, request in suites.items():
            with environment(reg, ADMIN, commit=False) as env:
                before = env.cr.sql_log_count
                seconds, _result = timed(lambda request=request, env=env: request(env))
                queries[key] = env.cr.sql_log_count - before
            if round_ >= 3:  # the first rounds warm caches up
                times[key].append(seconds)
    return times, queries


def report(title, times, queries):
    print(f"\n{title}")
    medians = {(model, request): figures(f"{model}: {request}", seconds)[0]
               for (model, request), seconds in times.items()}
    for request in ("kanban", "list", "grouped kanban"):
        ratio = medians["eyrie.deployment", request] / medians["res.partner", request]
        print(f"ratio {request:15} Eyrie / partners: {ratio:5.2f}x   queries: deployments "
              f"{queries['eyrie.deployment', request]}, partners {queries['res.partner', request]}")
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    ensure_database(DB, "eyrie_books,eyrie_website", template=TEMPLATE)
    reg = registry(DB)
    print(machine())

    with environment(reg) as env:
        suites = {}
        for model, group_by in (("eyrie.deployment", "state"), ("res.partner", "type")):
            for name, request in requests(env(user=ADMIN), model, group_by).items():
                suites[model, name] = request
        partners_before = env["res.partner"].search_count([])
        add_partners(env, 100)
        add_deployments(env, 100)
    small = measure(reg, suites, args.rounds)
    report("100 records", *small)

    with environment(reg) as env:
        print(f"\ngenerating {args.records} deployments ({5 * args.records} versions) and partners…", flush=True)
        seconds, _ = timed(lambda: (add_partners(env, args.records - 100), add_deployments(env, args.records - 100)))
        print(f"generated in {seconds:.0f} s: {env['eyrie.deployment'].search_count([])} deployments, "
              f"{env['eyrie.deployment.version'].search_count([])} versions, "
              f"{env['res.partner'].search_count([]) - partners_before} partners")
    large = measure(reg, suites, args.rounds)
    report(f"{args.records} records", *large)

    grown = [key for key in suites if large[1][key] > small[1][key]]
    print("\nSQL queries per request grow with N for: " + (", ".join(map(" ".join, grown)) or "none"))


if __name__ == "__main__":
    main()
