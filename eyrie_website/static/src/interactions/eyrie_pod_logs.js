import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { Interaction } from "@web/public/interaction";

/**
 * Pod logs on a deployment page: the pods and containers (``…/pods``), the last lines of one
 * (``…/logs``), and Follow, which reads the streamed answer of ``…/logs/follow`` as it arrives.
 * The server ends a follow after a bounded time or number of lines (then "Follow" starts a new
 * one); leaving the page, Stop or another choice aborts the request, which closes the server's
 * stream to the API server.
 */
export class EyriePodLogs extends Interaction {
    static selector = "#eyrie_pod_logs[data-url]";
    dynamicContent = {
        ".o_eyrie_log_show": { "t-on-click": this.show },
        ".o_eyrie_log_follow": { "t-on-click": this.follow },
        ".o_eyrie_log_stop": { "t-on-click": this.stop },
        ".o_eyrie_log_target": { "t-on-change": this.stop },
    };

    setup() {
        this.url = this.el.dataset.url;
        this.controller = null;
        this.registerCleanup(() => this.stop());
    }

    async willStart() {
        this.clusters = [];
        try {
            const response = await fetch(`${this.url}/pods`, { credentials: "same-origin" });
            this.clusters = response.ok ? await response.json() : [];
        } catch {
            this.loadError = _t("The pods could not be listed: reload the page to try again.");
        }
    }

    start() {
        const select = this.el.querySelector(".o_eyrie_log_target");
        const options = [];
        const errors = this.loadError ? [this.loadError] : [];
        for (const cluster of this.clusters) {
            if (cluster.error) {
                errors.push(cluster.error);
            }
            for (const pod of cluster.pods) {
                for (const container of pod.containers) {
                    const option = document.createElement("option");
                    option.value = JSON.stringify({
                        cluster: cluster.cluster_id,
                        pod: pod.name,
                        container: container.name,
                    });
                    const notes = [
                        container.init ? _t("init") : "",
                        container.restarts ? _t("%s restarts", container.restarts) : "",
                    ].filter(Boolean);
                    option.textContent = `${cluster.cluster} / ${pod.name} / ${container.name}`;
                    if (notes.length) {
                        option.textContent += ` (${notes.join(", ")})`;
                    }
                    option.selected = !options.length && !container.init;
                    options.push(option);
                }
            }
        }
        if (!options.length) {
            const none = document.createElement("option");
            none.value = "";
            none.textContent = _t("No pod is running");
            options.push(none);
        }
        select.replaceChildren(...options);
        this.setError(errors.join("\n"));
    }

    /** The query string of the chosen container and options, or null when there is none. */
    query(extra = {}) {
        const target = this.el.querySelector(".o_eyrie_log_target").value;
        if (!target) {
            return null;
        }
        const { cluster, pod, container } = JSON.parse(target);
        const lines = this.el.querySelector(".o_eyrie_log_lines").value || "100";
        return new URLSearchParams({ cluster, pod, container, lines, ...extra }).toString();
    }

    async show() {
        this.stop();
        const previous = this.el.querySelector(".o_eyrie_log_previous").checked ? "1" : "";
        const query = this.query({ previous });
        if (!query) {
            return;
        }
        const response = await this.waitFor(fetch(`${this.url}/logs?${query}`, { credentials: "same-origin" }));
        const answer = await this.waitFor(response.json());
        this.setError(answer.error || "");
        this.setLog(answer.text || "");
        this.setStatus("");
    }

    async follow() {
        this.stop();
        const query = this.query();
        if (!query) {
            return;
        }
        const controller = (this.controller = new AbortController());
        this.setFollowing(true);
        this.setLog("");
        this.setStatus(_t("Following…"));
        try {
            const response = await fetch(`${this.url}/logs/follow?${query}`, {
                credentials: "same-origin",
                signal: controller.signal,
            });
            if (!response.ok) {
                const answer = await response.json().catch(() => ({}));
                this.setError(answer.error || response.statusText);
                return;
            }
            this.setError("");
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            while (true) {
                const { value, done } = await reader.read();
                if (done) {
                    break;
                }
                this.appendLog(value);
            }
            this.setStatus(
                _t("The follow ended (time or line limit, or the container stopped): Follow again for more.")
            );
        } catch (error) {
            if (error.name !== "AbortError") {
                this.setError(String(error));
            }
        } finally {
            if (this.controller === controller) {
                this.controller = null;
                this.setFollowing(false);
            }
        }
    }

    stop() {
        if (this.controller) {
            this.controller.abort();
            this.controller = null;
            this.setFollowing(false);
            this.setStatus(_t("Stopped."));
        }
    }

    setFollowing(following) {
        this.el.querySelector(".o_eyrie_log_follow").classList.toggle("d-none", following);
        this.el.querySelector(".o_eyrie_log_stop").classList.toggle("d-none", !following);
        this.el.classList.toggle("o_eyrie_log_following", following);
    }

    setLog(text) {
        this.el.querySelector(".o_eyrie_log").textContent = text;
    }

    appendLog(text) {
        const pre = this.el.querySelector(".o_eyrie_log");
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.append(text);
        if (atBottom) {
            pre.scrollTop = pre.scrollHeight;
        }
    }

    setError(text) {
        const alert = this.el.querySelector(".o_eyrie_log_error");
        alert.textContent = text;
        alert.classList.toggle("d-none", !text);
    }

    setStatus(text) {
        this.el.querySelector(".o_eyrie_log_status").textContent = text;
    }
}

registry.category("public.interactions").add("eyrie_website.pod_logs", EyriePodLogs);
