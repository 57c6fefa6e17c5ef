import { registry } from "@web/core/registry";

// A portal operator reads and follows the log of a pod (started by test_portal_logs.py).
registry.category("web_tour.tours").add("eyrie_portal_pod_logs", {
    steps: () => [
        {
            content: "The pods are listed: choose the app container of the pod",
            trigger: "#eyrie_pod_logs .o_eyrie_log_target:has(option:contains(app-6c8d-tour / app))",
            run: "selectByLabel app-6c8d-tour / app",
        },
        {
            content: "Show its last lines",
            trigger: "#eyrie_pod_logs .o_eyrie_log_show",
            run: "click",
        },
        {
            trigger: "#eyrie_pod_logs .o_eyrie_log:contains(listening on :8080)",
        },
        {
            content: "The previous container says why it crashed",
            trigger: "#eyrie_pod_logs .o_eyrie_log_previous",
            run: "check",
        },
        {
            trigger: "#eyrie_pod_logs .o_eyrie_log_show",
            run: "click",
        },
        {
            trigger: "#eyrie_pod_logs .o_eyrie_log:contains(panic: no config):not(:contains(listening))",
        },
        {
            content: "Follow it",
            trigger: "#eyrie_pod_logs .o_eyrie_log_follow",
            run: "click",
        },
        {
            content: "The lines it prints while followed arrive",
            trigger: "#eyrie_pod_logs.o_eyrie_log_following .o_eyrie_log:contains(GET /live 200)",
        },
        {
            content: "Stop",
            trigger: "#eyrie_pod_logs .o_eyrie_log_stop",
            run: "click",
        },
        {
            trigger: "#eyrie_pod_logs:not(.o_eyrie_log_following) .o_eyrie_log_status:contains(Stopped)",
        },
    ],
});
