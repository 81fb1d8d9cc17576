// The instance panel (web/panel.templ): a console-like view of the emulated instance. Its
// controls call imds.configure, which changes the world through the core, the same world the
// CLI and the VPC API change; the panel re-renders from imds.onChange, so a command that
// changes the instance (ibmcloud is instance-update, a curl PATCH) shows here as soon as it
// ends. It also shows the Activity Tracker events, the request history, Share and Reset.

import type { ATEvent, ImdsAPI, Patch, State } from "./api";
import { copyText, el } from "./dom";

/** The panel's controls, by data-testid. */
interface Controls {
  live: HTMLElement;
  placeholder: HTMLElement | null;
  name: HTMLElement;
  status: HTMLOutputElement;
  start: HTMLButtonElement;
  stop: HTMLButtonElement;
  enabled: HTMLInputElement;
  protocol: HTMLInputElement;
  hopLimit: HTMLInputElement;
  defaultProfile: HTMLSelectElement;
  autoLink: HTMLInputElement;
  profiles: HTMLElement;
  hops: HTMLSelectElement;
  version: HTMLSelectElement;
  error: HTMLElement;
  events: HTMLElement;
  eventsCount: HTMLElement | null;
  share: HTMLButtonElement;
  shareURL: HTMLInputElement;
  shareStatus: HTMLElement;
  resetAll: HTMLButtonElement;
}

/** What the panel needs from the rest of the runtime. */
export interface PanelDeps {
  api: ImdsAPI;
  /** Encodes the page into a link (share.ts); rejects with a message for the reader. */
  share(): Promise<string>;
  /** Forgets everything saved and reloads the page as documented. */
  resetAll(): void;
}

/** The most events the panel lists. */
const MAX_EVENTS = 50;

/** Finds the panel's controls; null when the page has no panel (or an incomplete one). */
function controls(root: ParentNode): Controls | null {
  const q = <T extends HTMLElement>(id: string): T | null => root.querySelector<T>(`[data-testid="${id}"]`);
  const c = {
    live: q("panel-live"),
    placeholder: q("panel-placeholder"),
    name: q("panel-name"),
    status: q<HTMLOutputElement>("panel-status"),
    start: q<HTMLButtonElement>("panel-start"),
    stop: q<HTMLButtonElement>("panel-stop"),
    enabled: q<HTMLInputElement>("panel-enabled"),
    protocol: q<HTMLInputElement>("panel-protocol"),
    hopLimit: q<HTMLInputElement>("panel-hop-limit"),
    defaultProfile: q<HTMLSelectElement>("panel-default-profile"),
    autoLink: q<HTMLInputElement>("panel-auto-link"),
    profiles: q("panel-profiles"),
    hops: q<HTMLSelectElement>("panel-hops"),
    version: q<HTMLSelectElement>("version-switch"),
    error: q("panel-error"),
    events: q("panel-events"),
    eventsCount: q("panel-events-count"),
    share: q<HTMLButtonElement>("share"),
    shareURL: q<HTMLInputElement>("share-url"),
    shareStatus: q("share-status"),
    resetAll: q<HTMLButtonElement>("reset-all"),
  };
  for (const [k, v] of Object.entries(c)) {
    if (v === null && k !== "placeholder" && k !== "eventsCount") return null;
  }
  return c as Controls;
}

/** Makes sure select has an option with value (for values set from elsewhere, e.g. an embed's hops). */
function ensureOption(select: HTMLSelectElement, value: string, label: string): void {
  if (!Array.from(select.options).some((o) => o.value === value)) select.append(el("option", { attrs: { value } }, label));
}

/** HH:MM:SS of an event time, in UTC as Activity Tracker shows it. */
function clock(t: string): string {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(t);
  return m?.[1] ?? t;
}

/** One Activity Tracker event. */
function renderEvent(ev: ATEvent): HTMLElement {
  const li = el(
    "li",
    { class: `panel-event panel-event-${ev.outcome === "success" ? "ok" : "err"}`, testid: "event" },
    el("time", { class: "panel-event-time", attrs: { datetime: ev.eventTime, title: ev.eventTime } }, clock(ev.eventTime)),
    " ",
    el("span", { class: "panel-event-action", testid: "event-action" }, ev.action),
    " ",
    el("span", { class: "panel-event-outcome", testid: "event-outcome" }, ev.outcome),
    " ",
    el("span", { class: "panel-event-initiator", testid: "event-initiator" }, `by ${ev.initiator.name || ev.initiator.id}`),
  );
  li.dataset["action"] = ev.action;
  li.dataset["outcome"] = ev.outcome;
  li.title = ev.message;
  return li;
}

/** Wires the panel of root to the engine; returns the function that re-renders it from a state. */
export function initPanel(root: ParentNode, deps: PanelDeps): ((st: State) => void) | null {
  const c = controls(root);
  if (!c) return null;
  const { api } = deps;

  /** Applies a patch; a refusal is shown, and the controls go back to the world as it is. */
  const configure = (patch: Patch) => {
    api.configure(patch).then(
      (st) => {
        c.error.textContent = "";
        render(st);
      },
      (err: unknown) => {
        c.error.textContent = err instanceof Error ? err.message : String(err);
        const st = api.state();
        if (st) render(st);
      },
    );
  };

  let profileKey = "";
  const render = (st: State) => {
    const ms = st.instance.metadata_service;
    const dtp = st.instance.default_trusted_profile;
    const running = st.instance.status === "running";
    c.live.dataset["status"] = st.instance.status;
    c.name.textContent = st.instance.name;
    c.status.textContent = st.instance.status;
    c.start.disabled = running;
    c.stop.disabled = !running;
    c.enabled.checked = ms.enabled;
    c.protocol.checked = ms.protocol === "https";
    if (document.activeElement !== c.hopLimit) c.hopLimit.value = String(ms.response_hop_limit);

    // The profile list changes only when the world's profiles do; rebuilding it each time
    // would lose a keyboard user's focus.
    const key = JSON.stringify(st.profiles) + JSON.stringify(dtp);
    if (key !== profileKey) {
      profileKey = key;
      c.defaultProfile.replaceChildren(
        el("option", { attrs: { value: "" } }, "None"),
        ...st.profiles.map((p) => el("option", { attrs: { value: p.id } }, p.name || p.id)),
      );
      c.profiles.replaceChildren(
        ...st.profiles.map((p) => {
          const box = el("input", { testid: "panel-linked", attrs: { type: "checkbox" } });
          box.checked = p.linked;
          box.dataset["profile"] = p.id;
          const isDefault = dtp.target?.id === p.id;
          return el(
            "li",
            {},
            el("label", { class: "panel-check", attrs: { title: p.crn } }, box, " ", p.name || p.id, isDefault ? " (default)" : ""),
          );
        }),
      );
    }
    c.defaultProfile.value = dtp.target?.id ?? "";
    c.autoLink.checked = dtp.auto_link;
    c.autoLink.disabled = !dtp.target;

    ensureOption(c.hops, String(st.hops), `${st.hops} hops away`);
    c.hops.value = String(st.hops);
    ensureOption(c.version, st.version, st.version);
    c.version.value = st.version;
    renderEvents();
  };

  // Events come from the engine's worker; renders that overlap keep only the latest answer.
  let eventsAsked = 0;
  const renderEvents = () => {
    const asked = ++eventsAsked;
    // One more than shown, to know whether there are more.
    api.events(MAX_EVENTS + 1).then(
      (recent) => {
        if (asked !== eventsAsked) return;
        c.events.replaceChildren(...recent.slice(0, MAX_EVENTS).map(renderEvent));
        if (c.eventsCount) c.eventsCount.textContent = recent.length > MAX_EVENTS ? `(latest ${MAX_EVENTS})` : recent.length ? `(${recent.length})` : "";
        if (!recent.length) c.events.append(el("li", { class: "panel-note" }, "No events yet: run a block."));
      },
      (err: unknown) => console.warn(`imdsplay: reading the events: ${err instanceof Error ? err.message : String(err)}`),
    );
  };

  c.enabled.addEventListener("change", () => configure({ enabled: c.enabled.checked }));
  c.protocol.addEventListener("change", () => configure({ protocol: c.protocol.checked ? "https" : "http" }));
  c.hopLimit.addEventListener("change", () => {
    const n = Number(c.hopLimit.value);
    if (!Number.isInteger(n) || n < 1 || n > 64) {
      c.error.textContent = "The response hop limit is a whole number from 1 to 64.";
      return;
    }
    configure({ hopLimit: n });
  });
  c.start.addEventListener("click", () => configure({ status: "running" }));
  c.stop.addEventListener("click", () => configure({ status: "stopped" }));
  c.defaultProfile.addEventListener("change", () => configure({ defaultProfile: c.defaultProfile.value }));
  c.autoLink.addEventListener("change", () => configure({ autoLink: c.autoLink.checked }));
  c.profiles.addEventListener("change", (ev) => {
    const box = ev.target;
    if (!(box instanceof HTMLInputElement) || !box.dataset["profile"]) return;
    const id = box.dataset["profile"];
    configure(box.checked ? { link: id } : { unlink: id });
  });
  c.hops.addEventListener("change", () => configure({ hops: Number(c.hops.value) }));
  c.version.addEventListener("change", () => configure({ version: c.version.value }));

  c.share.addEventListener("click", () => {
    c.shareStatus.textContent = "";
    deps.share().then(
      async (url) => {
        c.shareURL.value = url;
        c.shareURL.hidden = false;
        c.shareURL.select();
        const copied = await copyText(url);
        c.shareStatus.textContent =
          (copied ? "Link copied. " : "Copy the link above. ") +
          "It holds your edited blocks and the instance's settings, in the part of the address that browsers never send to a server.";
      },
      (err: unknown) => {
        c.shareURL.hidden = true;
        c.shareStatus.textContent = err instanceof Error ? err.message : String(err);
      },
    );
  });

  // Reset asks twice: it erases every page's edits.
  let armed: ReturnType<typeof setTimeout> | undefined;
  const resetLabel = c.resetAll.textContent ?? "Reset everything";
  c.resetAll.addEventListener("click", () => {
    if (armed === undefined) {
      c.resetAll.dataset["armed"] = "true";
      c.resetAll.textContent = "Click again to erase all your changes";
      armed = setTimeout(() => {
        armed = undefined;
        delete c.resetAll.dataset["armed"];
        c.resetAll.textContent = resetLabel;
      }, 5000);
      return;
    }
    clearTimeout(armed);
    deps.resetAll();
  });

  const st = api.state();
  if (st) render(st);
  c.live.hidden = false;
  if (c.placeholder) c.placeholder.hidden = true;
  return render;
}

/** Shows a line in the panel's share status (opening a link, memory). */
export function panelStatus(root: ParentNode, text: string): void {
  const s = root.querySelector<HTMLElement>('[data-testid="share-status"]');
  if (s) s.textContent = text;
}
