"""Portal load: the deployment detail page against Odoo's own /my/home, on one server.

    python3 bench/portal.py [--seconds 10] [--rounds 5] [--connections 4] [--workers 2] [--db NAME]

Serves the demo database with Odoo's multi-process server (``--workers``, as in production),
logs the demo portal user in (an operator of the Acme Shop project), and loads each page with
``wrk`` (Debian: apt-get install wrk) for ``--seconds``, ``--rounds`` times, alternating the pages.
Prints requests per second and p50/p99 latency of each page and the ratios detail / home (the
median of each round's ratio: a shared machine's noise moves both pages of a round alike).
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request

from common import ensure_database, environment, machine, perform, registry, server

DB = "eyrie_bench_portal"
PORTAL = ("portal", "portal")


def detail_path(db):
    """The portal URL of the demo's production Odoo deployment, which gets runs to show first
    (a pause and a deploy, performed here on the demo's dry-run cluster)."""
    reg = registry(db)
    from odoo.addons.eyrie_website.controllers.portal import eyrie_url  # noqa: PLC0415

    for action in ("action_pause", "action_deploy"):
        with environment(reg) as env:
            deployment = env.ref("eyrie.demo_deployment_odoo_prod")
            if len(deployment.job_ids) >= 2:
                break
            getattr(deployment, action)()
        while uuid := next_job(reg):
            perform(reg, uuid)
    with environment(reg, commit=False) as env:
        return eyrie_url(env.ref("eyrie.demo_deployment_odoo_prod"))


def next_job(reg):
    with environment(reg, commit=False) as env:
        return env["eyrie.job.step"].search([("queue_job_id.state", "=", "pending")], limit=1).queue_job_id.uuid


def session_cookie(base, db):
    body = json.dumps({"jsonrpc": "2.0", "params": {"db": db, "login": PORTAL[0], "password": PORTAL[1]}})
    request = urllib.request.Request(f"{base}/web/session/authenticate", body.encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        if json.load(response).get("error"):
            sys.exit("the demo portal user could not log in")
        return re.search(r"session_id=[^;]+", response.headers["Set-Cookie"]).group(0)


def page_ok(url, cookie):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie})) as response:
        if response.status != 200 or "/web/login" in response.url:
            sys.exit(f"{url} did not answer as a page of the logged-in portal user")


def load(url, cookie, seconds, connections):
    """(requests/s, p50 ms, p99 ms) of ``url`` under wrk."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        sys.exit(f"{url} answered errors under load:\n{out}")

    def latency(percent):
        value, unit = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\b", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), latency(50), latency(99)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default=DB, help="the database to create and use")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing (Debian: apt-get install wrk)")
    ensure_database(args.db, "eyrie_books,eyrie_website", demo=True)
    pages = {"/my/home (reference)": "/my/home", "deployment detail page": detail_path(args.db)}
    # No cron and no job runner: the requests measured are the only work the server does.
    quiet = {"ODOO_QUEUE_JOB_CHANNELS": "root:0"}
    with server(args.db, f"--workers={args.workers}", "--max-cron-threads=0", env=quiet) as base:
        cookie = session_cookie(base, args.db)
        results = {name: [] for name in pages}
        for path in pages.values():  # warm-up: templates compiled, caches filled
            page_ok(base + path, cookie)
            load(base + path, cookie, 3, args.connections)
        for _round in range(args.rounds):
            for name, path in pages.items():
                results[name].append(load(base + path, cookie, args.seconds, args.connections))

    print(machine())
    print(f"server: {args.workers} workers · wrk: {args.connections} connections, "
          f"{args.rounds} rounds × {args.seconds} s per page, pages alternating")
    summary = {}
    for name, runs in results.items():
        rps, p50, p99 = (statistics.median(values) for values in zip(*runs, strict=True))
        summary[name] = rps, p50, p99
        print(f"{name:28} {rps:8.1f} req/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   (medians of the rounds)")
    # Each round's pages ran back to back: their ratio is the least disturbed by the machine.
    home, detail = results.values()
    ratios = [(h[0] / d[0], d[1] / h[1], d[2] / h[2]) for h, d in zip(home, detail, strict=True)]
    slower, p50, p99 = (statistics.median(values) for values in zip(*ratios, strict=True))
    spread = ", ".join(f"{ratio[0]:.2f}" for ratio in ratios)
    print(f"ratio detail / home (median of rounds): throughput {slower:.2f}x slower ({spread}), "
          f"p50 {p50:.2f}x, p99 {p99:.2f}x")

if __name__ == "__main__":
    main()
