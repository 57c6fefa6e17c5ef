/**
 * The element ``selector`` names in the server-rendered HTML at ``url`` (a page section served
 * alone, e.g. ``…/runs`` or ``…/edit``), or null if the server answered with an error or the
 * HTML has no such element.
 */
export async function fetchElement(url, selector) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
        return null;
    }
    return new DOMParser().parseFromString(await response.text(), "text/html").querySelector(selector);
}
