import { Component } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { useRunUpdates } from "./run_badge";

// Bootstrap colours of each health and sync state.
const HEALTH_CLASSES = {
    healthy: "text-bg-success",
    progressing: "text-bg-info",
    degraded: "text-bg-danger",
    paused: "text-bg-secondary",
    missing: "text-bg-warning",
    unknown: "text-bg-light",
};
const SYNC_CLASSES = { in_sync: "text-bg-success", out_of_sync: "text-bg-warning", unknown: "text-bg-light" };

/** Health and sync badges of a deployment (details per cluster in their title), live over the bus. */
export class HealthBadge extends Component {
    static template = "eyrie_books.HealthBadge";
    static props = { ...standardFieldProps };

    setup() {
        useRunUpdates(this.props.record, (payload) => payload.deployment_ids, "eyrie.health");
    }

    get data() {
        return this.props.record.data;
    }

    label(field) {
        const value = this.data[field];
        const selection = this.props.record.fields[field].selection;
        return (selection.find(([key]) => key === value) || [value, value])[1];
    }

    get healthClass() {
        return HEALTH_CLASSES[this.data.health] || "text-bg-light";
    }

    get syncClass() {
        return SYNC_CLASSES[this.data.sync_status] || "text-bg-light";
    }
}

registry.category("fields").add("eyrie_health_badge", {
    component: HealthBadge,
    fieldDependencies: [
        { name: "sync_status", type: "selection" },
        { name: "health_summary", type: "text" },
    ],
});
