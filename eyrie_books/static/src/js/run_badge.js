import { Component, onWillDestroy } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * Reload `record` whenever the server says one of `idsOf(payload)` changed: book runs
 * announce each step change on the bus ("eyrie.run"), health refreshes each change they find
 * ("eyrie.health"), so cards and forms follow them live, without polling.
 */
export function useRunUpdates(record, idsOf, type = "eyrie.run") {
    const bus = useService("bus_service");
    const reload = useDebounced(() => record.load(), 100);
    const onRun = (payload) => {
        // A form being edited keeps what the user typed; it catches up on the next change.
        if (record.resId && idsOf(payload).includes(record.resId) && !record.dirty) {
            reload();
        }
    };
    bus.subscribe(type, onRun);
    onWillDestroy(() => bus.unsubscribe(type, onRun));
}

/** Spinner and count of running jobs on a deployment; a click opens the run's steps. */
export class RunBadge extends Component {
    static template = "eyrie_books.RunBadge";
    static props = { ...standardFieldProps };

    setup() {
        this.action = useService("action");
        this.orm = useService("orm");
        useRunUpdates(this.props.record, (payload) => payload.deployment_ids);
    }

    get count() {
        return this.props.record.data[this.props.name];
    }

    get failed() {
        return this.props.record.data.run_state === "failed";
    }

    async open(ev) {
        ev.stopPropagation();
        const action = await this.orm.call("eyrie.deployment", "action_open_running_job", [
            [this.props.record.resId],
        ]);
        await this.action.doAction(action);
    }
}

/** Keeps a run's form (its steps, their logs) up to date while it executes. */
export class RunLive extends Component {
    static template = "eyrie_books.RunLive";
    static props = { ...standardFieldProps };

    setup() {
        useRunUpdates(this.props.record, (payload) => payload.job_ids);
    }
}

registry.category("fields").add("eyrie_run_badge", {
    component: RunBadge,
    fieldDependencies: [{ name: "run_state", type: "selection" }],
});
registry.category("fields").add("eyrie_run_live", { component: RunLive });
