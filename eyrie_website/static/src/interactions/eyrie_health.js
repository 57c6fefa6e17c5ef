import { registry } from "@web/core/registry";
import { EyrieRuns } from "./eyrie_runs";

/**
 * Live health: the health section of a deployment page and the health badges of a group page's
 * cards are fetched again, server-rendered, when a refresh announces a change of their deployment
 * (``eyrie.health`` on the deployment's channel), as the runs are.
 */
export class EyrieHealth extends EyrieRuns {
    static selector = "#eyrie_health[data-url], .o_eyrie_health_badge[data-url]";
    static notification = "eyrie.health";
}

registry.category("public.interactions").add("eyrie_website.health", EyrieHealth);
