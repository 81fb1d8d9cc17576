// The history of the page's requests: every exchange of every run, newest first, each with
// its status, a copy as curl and a Re-run that sends the same request again in the same
// session and shows what came back.

import type { Exchange, ImdsAPI, Place, RunResult } from "./api";
import { copyButton, el } from "./dom";
import { renderResult, renderState } from "./output";

/** The most requests the list keeps. */
const MAX_ENTRIES = 50;

/** The request history, rendered into an <ol>. */
export class RequestHistory {
  private count = 0;

  constructor(
    private readonly list: HTMLElement,
    private readonly counter: HTMLElement | null,
    private readonly engine: Promise<ImdsAPI>,
  ) {}

  /** Adds a run's exchanges, newest first. Items already shown stay as they are. */
  add(r: RunResult): void {
    for (const x of r.exchanges) {
      this.list.prepend(this.item(x, r.place));
      this.count++;
    }
    while (this.list.children.length > MAX_ENTRIES) this.list.lastElementChild?.remove();
    if (this.counter) this.counter.textContent = this.count ? `(${this.count})` : "";
  }

  /** One history entry. */
  private item(x: Exchange, place: Place): HTMLElement {
    const status = x.status === 0 ? `no response (${x.errorKind ?? "error"})` : String(x.status);
    const ok = x.status >= 200 && x.status < 400;
    const out = el("div", { class: "output history-output", testid: "history-output", attrs: { "aria-live": "polite" } });
    const note = el("span", { class: "copy-status", attrs: { role: "status" } });
    const rerun = el("button", { testid: "history-rerun", attrs: { type: "button" } }, "Re-run");
    rerun.addEventListener("click", () => {
      rerun.disabled = true;
      renderState(out, "running", "Running…");
      this.engine
        .then((api) =>
          api
            .newSession({ on: place })
            .run(x.curl)
            .then((r) => {
              renderResult(out, r, place, api);
              this.add(r);
            }),
        )
        .catch((err: unknown) => renderState(out, "error", `The emulator failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (rerun.disabled = false));
    });
    const li = el(
      "li",
      { class: `history-item ${ok ? "history-ok" : "history-err"}`, testid: "history-item" },
      el(
        "p",
        { class: "history-line" },
        el("span", { class: "history-method" }, x.method),
        " ",
        el("span", { class: "history-url", attrs: { title: x.url } }, x.url),
        " ",
        el("span", { class: "history-status", testid: "history-status" }, status),
        " ",
        el("span", { class: "history-place" }, place === "workstation" ? "workstation" : "instance"),
      ),
      el("p", { class: "history-actions" }, rerun, " ", copyButton("Copy as curl", "history-copy", () => x.curl, note), " ", note),
      out,
    );
    li.dataset["status"] = String(x.status);
    li.dataset["method"] = x.method;
    return li;
  }
}
