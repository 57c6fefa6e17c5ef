import { registry } from "@web/core/registry";
import { Interaction } from "@web/public/interaction";
import { fetchElement } from "@eyrie_website/fragment";

/**
 * The edit form of a deployment page, loaded when asked for: the page offers it with a button
 * and the form, server-rendered from the deployment's current values, comes from ``data-url``
 * (``…/edit``) to take the button's place, its first field focused.
 */
export class EyrieEdit extends Interaction {
    static selector = ".o_eyrie_edit[data-url]";
    dynamicContent = {
        ".o_eyrie_edit_open": { "t-on-click": this.open },
    };

    async open(ev) {
        const button = ev.currentTarget;
        const failed = this.el.querySelector(".o_eyrie_edit_error");
        button.disabled = true;
        failed.classList.add("d-none");
        let form = null;
        try {
            form = await this.waitFor(fetchElement(this.el.dataset.url, "form.o_eyrie_edit_form"));
        } catch {
            // Offline or interrupted: said below, the button offers it again.
        }
        if (!form) {
            failed.classList.remove("d-none");
            button.disabled = false;
            return;
        }
        this.el.replaceWith(form);
        form.querySelector("input:not([type=hidden])")?.focus();
    }
}

registry.category("public.interactions").add("eyrie_website.edit", EyrieEdit);
