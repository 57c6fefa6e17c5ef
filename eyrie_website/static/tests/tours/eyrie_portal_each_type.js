import { registry } from "@web/core/registry";

// A portal operator creates one deployment of each type through the New Deployment form, with only
// the required fields and the defaults, then initializes and deploys it; each run ends done on the
// dry-run cluster (test_type_tour.py performs the queued steps while the pages follow them).
const LATEST_RUN = "#eyrie_runs .o_eyrie_run:first-child";

function createAndRun(group, name, fields) {
    const deployment = `/_eyrie/p/pa/dg/${group}/d/${name.toLowerCase().replaceAll(" ", "-")}`;
    return [
        {
            content: `Go to the group ${group}`,
            trigger: "body",
            run: () => window.location.assign(`/_eyrie/p/pa/dg/${group}`),
            expectUnloadPage: true,
        },
        { content: "Open the New Deployment form", trigger: "button.o_eyrie_new_deployment", run: "click" },
        { trigger: "#eyrie_new_deployment.show input[name=name]", run: `edit ${name}` },
        { trigger: "select[name=scope_id]", run: "selectByLabel Dev (portal test)" },
        { trigger: ".o_eyrie_new_deployment_form .form-check:contains(Cluster A) input", run: "check" },
        ...fields,
        {
            content: "Create",
            trigger: ".o_eyrie_new_deployment_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        { content: `${name} is created`, trigger: ".o_eyrie_message:contains(Deployment created)" },
        {
            content: "Initialize",
            trigger: `h3:contains(${name}) ~ .o_eyrie_actions button[name=initialize]`,
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The Initialize run ends done",
            trigger: `${LATEST_RUN}:contains(Initialize) .accordion-header .o_eyrie_run_state_done`,
            timeout: 60000,
        },
        {
            content: "Show the actions the finished run allows",
            trigger: "body",
            run: () => window.location.assign(deployment),
            expectUnloadPage: true,
        },
        {
            content: "Deploy",
            trigger: ".o_eyrie_state_initialize ~ .o_eyrie_actions button[name=deploy]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The Deploy run ends done",
            trigger: `${LATEST_RUN}:contains(Deploy) .accordion-header .o_eyrie_run_state_done`,
            timeout: 60000,
        },
    ];
}

registry.category("web_tour.tours").add("eyrie_portal_each_type", {
    steps: () => [
        ...createAndRun("tour-pgo", "Tour DB", []),
        ...createAndRun("tour-odoo", "Tour Shop", [
            { trigger: "input[name=image]", run: "edit odoo:19.0" },
            { content: "Its database: the PostgreSQL deployment", trigger: "select[name=database_id]",
              run: "selectByLabel Tour DB" },
        ]),
        ...createAndRun("tour-pxc", "Tour MySQL", []),
        ...createAndRun("tour-none", "Tour Worker", [
            { trigger: "input[name=image]", run: "edit busybox:1.36" },
        ]),
    ],
});
