import { registry } from "@web/core/registry";

// The card of a deployment with a queued run shows the badge; its run's form then follows the
// steps as the job runner performs them, without reloading the page.
const STEP = ".o_form_view .o_field_widget[name=step_ids] .o_data_row";

registry.category("web_tour.tours").add("eyrie_books_live_run", {
    steps: () => [
        {
            trigger: ".o_kanban_record:contains(live-card) .o_eyrie_run_badge .o_eyrie_run_count:contains(1)",
            run: "click",
        },
        { trigger: `${STEP}:first-child:contains(Running)`, timeout: 30000 },
        { trigger: `${STEP}:first-child:contains(Done)`, timeout: 30000 },
        { trigger: `${STEP}:nth-child(2):contains(Done)`, timeout: 30000 },
        { trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Done)", timeout: 30000 },
    ],
});
