import { registry } from "@web/core/registry";

// The latest run of the page (of an action), done: the runs section follows it live over the bus.
const latestDone = (action) =>
    `#eyrie_runs .o_eyrie_run:first-child:has(.o_eyrie_run_action:contains(${action})) .accordion-header .o_eyrie_run_state_done`;

// The tour: a portal operator previews a deploy, deploys, sees the health turn healthy and
// rolls back with a reason (started by test_operate_tour.py as ey_operator, on a kmock cluster).
registry.category("web_tour.tours").add("eyrie_portal_operate", {
    steps: () => [
        {
            content: "Initialized: its run ends",
            trigger: latestDone("Initialize"),
            timeout: 30000,
        },
        {
            content: "Preview what Deploy would do",
            trigger: "a.o_eyrie_preview_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose Deploy",
            trigger: ".o_eyrie_preview_actions a[data-action=deploy]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The workload would be created on the cluster; nothing is sent",
            trigger: ".o_eyrie_preview_actions a.active[data-action=deploy]",
        },
        {
            trigger: "body:contains(Kmock):contains(Deployment)",
        },
        {
            content: "Back to the deployment",
            trigger: "a:contains(Back)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Deploy",
            trigger: ".o_eyrie_actions button[name=deploy]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The deploy run ends",
            trigger: latestDone("Deploy"),
            timeout: 30000,
        },
        {
            content: "Refresh the health",
            trigger: "#eyrie_health .o_eyrie_refresh_health",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Healthy, in sync",
            trigger: "#eyrie_health .o_eyrie_health_healthy",
        },
        {
            trigger: "#eyrie_health .o_eyrie_sync_in_sync",
        },
        {
            content: "Change the image: a new version",
            trigger: ".o_eyrie_edit button[name=edit]",
            run: "click",
        },
        {
            trigger: "form.o_eyrie_edit_form input[name=image]",
            run: "edit nginx:1.28",
        },
        {
            trigger: "form.o_eyrie_edit_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Roll back to v1",
            trigger: "#eyrie_versions button.o_eyrie_rollback[name=rollback_1]",
            run: "click",
        },
        {
            content: "v1 can be rolled back to: asked when the dialog opens",
            trigger: ".modal.show:not(:has(.o_eyrie_rollback_check:not(.d-none))) button[name=rollback]:enabled",
        },
        {
            content: "Say why",
            trigger: ".modal.show textarea[name=reason]",
            run: "edit 1.28 answers 502",
        },
        {
            trigger: ".modal.show button[name=rollback]:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Rolled back: a new version with v1's image, deployed",
            trigger: ".o_eyrie_message:contains(Rolled back)",
        },
        {
            trigger: "#eyrie_versions tr.o_eyrie_version_current:contains(Rollback to v1: 1.28 answers 502):contains(nginx:1.27)",
        },
        {
            content: "Its deploy run ends",
            trigger: latestDone("Deploy"),
            timeout: 30000,
        },
        {
            content: "Shown again, after the run",
            trigger: "#eyrie_versions",
            run: () => window.location.reload(),
            expectUnloadPage: true,
        },
        {
            content: "v1 runs what the current version runs: the dialog says so and cannot be sent",
            trigger: "#eyrie_versions button.o_eyrie_rollback[name=rollback_1]",
            run: "click",
        },
        {
            trigger: ".modal.show .o_eyrie_rollback_refusal:not(.d-none):contains(re-deploy instead)",
        },
        {
            trigger: ".modal.show button[name=rollback]:disabled",
        },
    ],
});
