import { registry } from "@web/core/registry";
import { Interaction } from "@web/public/interaction";
import { fetchElement } from "@eyrie_website/fragment";

/**
 * Live runs: the runs section of a deployment page and the run badges of a group page's cards
 * follow the bus channel of their deployment (``eyrie.deployment/<id>``, granted by the server only
 * where the user may read the deployment). On an ``eyrie.run`` notification naming the deployment,
 * the element is fetched again, server-rendered, from its ``data-url`` and swapped in; runs and
 * logs the user opened stay open. No polling. A finished run comes closed, without its steps: they
 * are fetched (``…/runs/<id>``) when the user opens it, and again after a reload while it is open.
 */
export class EyrieRuns extends Interaction {
    static selector = "#eyrie_runs[data-url], .o_eyrie_run_badge[data-url]";
    // The bus notification after which the element is fetched again.
    static notification = "eyrie.run";

    setup() {
        this.deploymentId = parseInt(this.el.dataset.deploymentId);
        this.channel = `eyrie.deployment/${this.deploymentId}`;
        this.onRun = this.onRun.bind(this);
        this.reload = this.debounced(this.reload, 250);
    }

    start() {
        const bus = this.services.bus_service;
        bus.addChannel(this.channel);
        bus.subscribe(this.constructor.notification, this.onRun);
        this.addListener(this.el, "show.bs.collapse", (ev) => this.loadSteps(ev.target));
        this.registerCleanup(() => {
            bus.unsubscribe(this.constructor.notification, this.onRun);
            bus.deleteChannel(this.channel);
        });
    }

    onRun({ deployment_ids }) {
        if ((deployment_ids || []).includes(this.deploymentId)) {
            this.reload();
        }
    }

    async reload() {
        const fresh = await this.waitFor(fetchElement(this.el.dataset.url, "body > *"));
        if (!fresh || fresh.tagName !== this.el.tagName) {
            return;
        }
        const opened = this.openedKeys();
        this.el.replaceChildren(...fresh.childNodes);
        this.reopen(opened);
        for (const el of this.el.querySelectorAll(".o_eyrie_run .accordion-collapse.show")) {
            this.loadSteps(el);
        }
    }

    /** Fetch the steps of the run ``el`` shows, if they were left out of the page. */
    async loadSteps(el) {
        const lazy = el.querySelector(".o_eyrie_run_steps_lazy[data-url]");
        if (!lazy) {
            return;
        }
        const steps = await this.waitFor(fetchElement(lazy.dataset.url, ".o_eyrie_run_steps"));
        if (steps && lazy.isConnected) {
            lazy.replaceWith(steps);
        }
    }

    /** The ids of the runs and steps whose details the user has open, and of those closed. */
    openedKeys() {
        const keys = { runs: new Map(), logs: new Set() };
        for (const el of this.el.querySelectorAll(".o_eyrie_run .accordion-collapse")) {
            keys.runs.set(el.id, el.classList.contains("show"));
        }
        for (const el of this.el.querySelectorAll("details.o_eyrie_step_log[open]")) {
            keys.logs.add(el.dataset.stepId);
        }
        return keys;
    }

    reopen({ runs, logs }) {
        for (const el of this.el.querySelectorAll(".o_eyrie_run .accordion-collapse")) {
            if (!runs.has(el.id)) {
                continue;
            }
            const open = runs.get(el.id);
            el.classList.toggle("show", open);
            const button = this.el.querySelector(`[data-bs-target="#${el.id}"]`);
            button?.classList.toggle("collapsed", !open);
            button?.setAttribute("aria-expanded", open ? "true" : "false");
        }
        for (const el of this.el.querySelectorAll("details.o_eyrie_step_log")) {
            if (logs.has(el.dataset.stepId)) {
                el.open = true;
            }
        }
    }
}

registry.category("public.interactions").add("eyrie_website.runs", EyrieRuns);
