import { registry } from "@web/core/registry";

// A deployed card shows its health; Refresh looks at the cluster again, where it lost its pod.
const CARD = ".o_kanban_record:contains(h-tour)";

registry.category("web_tour.tours").add("eyrie_books_live_health", {
    steps: () => [
        { trigger: `${CARD} .o_eyrie_health .o_eyrie_health_healthy` },
        { trigger: `${CARD} .o_eyrie_health .o_eyrie_sync_in_sync` },
        { trigger: `${CARD} .o_eyrie_refresh_health`, run: "click" },
        { trigger: `${CARD} .o_eyrie_health .o_eyrie_health_degraded`, timeout: 30000 },
    ],
});
