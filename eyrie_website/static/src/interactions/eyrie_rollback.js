import { registry } from "@web/core/registry";
import { Interaction } from "@web/public/interaction";

/**
 * The roll back dialog of a deployment page: one for all versions (a page of versions renders no
 * dialog per version). Opened by a version's button, it posts to that button's ``data-url`` and
 * names its ``data-version``; the reason typed for another version is cleared.
 */
export class EyrieRollback extends Interaction {
    static selector = "#eyrie_rollback";

    start() {
        this.addListener(this.el, "show.bs.modal", (ev) => this.prepare(ev.relatedTarget));
    }

    prepare(button) {
        const form = this.el.querySelector("form");
        if (!button?.dataset.url || form.action.endsWith(button.dataset.url)) {
            return;
        }
        form.reset();
        form.action = button.dataset.url;
        for (const el of this.el.querySelectorAll(".o_eyrie_rollback_version")) {
            el.textContent = button.dataset.version;
        }
    }
}

registry.category("public.interactions").add("eyrie_website.rollback", EyrieRollback);
