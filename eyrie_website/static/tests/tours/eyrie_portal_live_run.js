import { registry } from "@web/core/registry";

// A deployment page follows its run as the job runner performs it: no reload.
const RUN_STATE = "#eyrie_runs .o_eyrie_run .accordion-header .o_eyrie_run_state";

registry.category("web_tour.tours").add("eyrie_portal_live_run", {
    steps: () => [
        { trigger: `${RUN_STATE}.o_eyrie_run_state_queued` },
        { trigger: `${RUN_STATE}.o_eyrie_run_state_running`, timeout: 30000 },
        { trigger: "#eyrie_runs .o_eyrie_run .accordion-body .o_eyrie_run_state_done", timeout: 30000 },
        { trigger: `${RUN_STATE}.o_eyrie_run_state_done`, timeout: 30000 },
        // Finished, it stays open where the user had it open, its steps loaded again, all done.
        {
            trigger:
                "#eyrie_runs .o_eyrie_run .accordion-collapse.show .o_eyrie_run_steps:not(:has(" +
                ".o_eyrie_run_state_pending, .o_eyrie_run_state_queued, .o_eyrie_run_state_running))",
            timeout: 30000,
        },
    ],
});
