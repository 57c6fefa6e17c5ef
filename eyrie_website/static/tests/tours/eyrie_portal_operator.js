import { registry } from "@web/core/registry";

// A portal operator on a group page (started by test_tour.py as ey_operator).
registry.category("web_tour.tours").add("eyrie_portal_operator", {
    steps: () => [
        {
            content: "Open the New Deployment form",
            trigger: "button.o_eyrie_new_deployment",
            run: "click",
        },
        {
            content: "Name it",
            trigger: "#eyrie_new_deployment.show input[name=name]",
            run: "edit Tour shop",
        },
        {
            content: "Pick a scope",
            trigger: "select[name=scope_id]",
            run: "selectByLabel Dev (portal test)",
        },
        {
            content: "Run it on the project's cluster",
            trigger: ".o_eyrie_new_deployment_form .form-check:contains(Cluster A) input",
            run: "check",
        },
        {
            content: "Give the image",
            trigger: "input[name=image]",
            run: "edit ghcr.io/acme/tour:1",
        },
        {
            content: "Create",
            trigger: ".o_eyrie_new_deployment_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The deployment page says it was created, in Draft, with one version",
            trigger: ".o_eyrie_message:contains(Deployment created)",
        },
        {
            trigger: "h3:contains(Tour shop) + .o_eyrie_state_draft",
        },
        {
            trigger: "#eyrie_versions tr.o_eyrie_version:only-child:contains(First version)",
        },
        {
            content: "Initialize",
            trigger: ".o_eyrie_actions button[name=initialize]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Deploy",
            trigger: ".o_eyrie_state_initialize ~ .o_eyrie_actions button[name=deploy]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Deployed: it can be re-deployed or paused",
            trigger: ".o_eyrie_state_deploy ~ .o_eyrie_actions button[name=pause]",
        },
        {
            content: "Open the edit form: loaded when asked for",
            trigger: ".o_eyrie_edit button[name=edit]",
            run: "click",
        },
        {
            content: "Change the image",
            trigger: ".o_eyrie_edit_form input[name=image]",
            run: "edit ghcr.io/acme/tour:2",
        },
        {
            content: "Save",
            trigger: ".o_eyrie_edit_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Version 2 is current and says what changed",
            trigger: "#eyrie_versions tr.o_eyrie_version_current:contains(v2):contains(Image: ghcr.io/acme/tour:1 → ghcr.io/acme/tour:2)",
        },
        {
            content: "Version 1 is still listed",
            trigger: "#eyrie_versions tr.o_eyrie_version:not(.o_eyrie_version_current):contains(v1)",
        },
    ],
});
