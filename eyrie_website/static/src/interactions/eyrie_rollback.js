import { registry } from "@web/core/registry";
import { Interaction } from "@web/public/interaction";

/**
 * The roll back dialog of a deployment page: one for all versions (a page of versions renders no
 * dialog per version). Opened by a version's button, it posts to that button's ``data-url`` and
 * names its ``data-version``; the reason typed for another version is cleared. It first asks the
 * same URL whether the version can be rolled back to (``{"refusal"}``): a refusal is shown and
 * the dialog cannot be submitted; if the question fails, the server still checks the post.
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
        this.check(form, button.dataset.url);
    }

    async check(form, url) {
        const checking = this.el.querySelector(".o_eyrie_rollback_check");
        const refusal = this.el.querySelector(".o_eyrie_rollback_refusal");
        const submit = form.querySelector("button[type=submit]");
        checking.classList.remove("d-none");
        refusal.classList.add("d-none");
        submit.disabled = true;
        let answer = {};
        try {
            const response = await this.waitFor(fetch(url, { credentials: "same-origin" }));
            answer = response.ok ? await this.waitFor(response.json()) : {};
        } catch {
            // Offline or interrupted: the post is checked all the same.
        }
        if (!form.action.endsWith(url)) {
            return; // another version's button opened the dialog meanwhile
        }
        checking.classList.add("d-none");
        refusal.textContent = answer.refusal || "";
        refusal.classList.toggle("d-none", !answer.refusal);
        submit.disabled = Boolean(answer.refusal);
    }
}

registry.category("public.interactions").add("eyrie_website.rollback", EyrieRollback);
