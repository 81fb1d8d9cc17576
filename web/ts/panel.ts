// The instance panel (web/panel.templ): a console-like view of the emulated instance. Its
// controls call imds.configure, which changes the world through the core, the same world the
// CLI and the VPC API change; the panel re-renders from imds.onChange, so a command that
// changes the instance (ibmcloud is instance-update, a curl PATCH) shows here as soon as it
// ends. It also shows what each holder of IAM tokens may do with the instance by its role, the
// Activity Tracker events, the request history, Share and Reset.
//
// Where the panel is not beside the page (narrow screens: site.css puts it under the page), the
// header's "Your instance" link opens it as a drawer, and so does a link to one of its controls
// (#panel-hop-limit, from a lesson or a hint), which then scrolls to the control and focuses it.
// Without JavaScript both are plain links to the panel below the page.

import type { AccessState, ATEvent, ImdsAPI, Patch, State } from "./api";
import { copyText, el } from "./dom";
import { VERSION_APPLIED } from "./liveblock";

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
  access: HTMLElement;
  hops: HTMLSelectElement;
  version: HTMLSelectElement;
  versionNote: HTMLElement;
  versionStatus: HTMLElement;
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
    access: q("panel-access"),
    hops: q<HTMLSelectElement>("panel-hops"),
    version: q<HTMLSelectElement>("version-switch"),
    versionNote: q("version-note"),
    versionStatus: q("version-status"),
    error: q("panel-error"),
    events: q("panel-events"),
    eventsCount: q("panel-events-count"),
    share: q<HTMLButtonElement>("share"),
    shareURL: q<HTMLInputElement>("share-url"),
    shareStatus: q("share-status"),
    resetAll: q<HTMLButtonElement>("reset-all"),
  };
  for (const [k, v] of Object.entries(c)) {
    if (v === null && k !== "placeholder" && k !== "eventsCount") {
      console.warn(`imdsplay: the instance panel has no [data-testid] for ${k}`);
      return null;
    }
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

/** What a holder's role allows on the instance, in a few words. */
function accessText(a: AccessState): string {
  const role = a.role || "no VPC role";
  if (a.update) return `${role}: can change the metadata service`;
  if (a.read) return `${role}: can read the instance, cannot change the metadata service`;
  return `${role}: cannot read or change the instance`;
}

/** The operator and the trusted profiles linked to the instance, each with its role and what it allows. */
function renderAccess(st: State): HTMLElement[] {
  const linked = new Set(st.profiles.filter((p) => p.linked).map((p) => p.id));
  return (st.access ?? [])
    .filter((a) => a.kind === "operator" || linked.has(a.id))
    .map((a) => {
      const li = el(
        "li",
        { class: `panel-access-item ${a.update ? "panel-access-update" : a.read ? "panel-access-read" : "panel-access-none"}`, testid: "access" },
        el("span", { class: "panel-access-who" }, a.kind === "operator" ? `${a.name} (operator)` : a.name),
        " ",
        el("span", { class: "panel-access-what", testid: "access-what" }, accessText(a)),
      );
      li.dataset["name"] = a.name;
      li.dataset["role"] = a.role;
      return li;
    });
}

/** What the version switch did on the page shown: the blocks it changed, those that keep their dates. */
function versionStatus(v: string, root: ParentNode): string {
  if (!v) return "";
  const set = root.querySelectorAll(".live-block[data-version-set]").length;
  const changed = root.querySelectorAll(".live-block[data-version-changed]").length;
  const kept = root.querySelectorAll(".live-block[data-version-kept]").length;
  const blocks = (n: number) => (n === 1 ? "1 block" : `${n} blocks`);
  let text = set
    ? `On this page, ${blocks(set)} send${set === 1 ? "s" : ""} version=${v}${changed ? ` (the switch changed ${changed === set ? "all of them" : changed})` : " (as written)"}.`
    : "No block on this page sends a version date the switch sets.";
  if (kept) text += ` ${blocks(kept)} keep${kept === 1 ? "s" : ""} the dates ${kept === 1 ? "it demonstrates" : "they demonstrate"}.`;
  return text;
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
    c.name.title = st.instance.name;
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
    c.versionNote.textContent = c.version.selectedOptions[0]?.dataset["note"] ?? "";
    showVersionStatus();
    const access = renderAccess(st);
    const accessKey = JSON.stringify(access.map((li) => li.textContent));
    if (accessKey !== c.access.dataset["key"]) {
      c.access.dataset["key"] = accessKey;
      c.access.replaceChildren(...access);
    }
    renderEvents();
  };

  // The blocks tell when the switch rewrote them (liveblock.ts); a page that comes in later
  // (nav.ts) too. One status line per burst of blocks.
  let statusQueued = false;
  const showVersionStatus = () => {
    if (statusQueued) return;
    statusQueued = true;
    queueMicrotask(() => {
      statusQueued = false;
      c.versionStatus.textContent = versionStatus(api.state()?.version ?? "", document);
    });
  };
  document.addEventListener(VERSION_APPLIED, showVersionStatus);

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

/**
 * Puts the panel's controls into the page. The built page carries them in a <template>
 * (web/panel.templ): with form controls in the parsed page, Chrome lays the whole page out inside
 * DOMContentLoaded (its form detection), before the stylesheet applies, a layout thrown away at
 * the first frame that holds the page's thread, and the start of the engine's worker with it.
 * Call it once, in a task after DOMContentLoaded, before anything looks for the controls; it
 * does nothing when they are already in (or the page has no panel).
 */
export function mountPanel(doc: Document = document): void {
  const tpl = doc.querySelector<HTMLTemplateElement>('#instance-panel template[data-testid="panel-live-template"]');
  if (tpl) tpl.replaceWith(doc.importNode(tpl.content, true));
}

/** Shows a line in the panel's share status (opening a link, memory). */
export function panelStatus(root: ParentNode, text: string): void {
  const s = root.querySelector<HTMLElement>('[data-testid="share-status"]');
  if (s) s.textContent = text;
}

/** Whether the panel is beside the page (wide screens) rather than under it (site.css). */
function panelBeside(panel: HTMLElement): boolean {
  return getComputedStyle(panel).position === "sticky";
}

/**
 * Makes the panel one tap away where it is not beside the page: the header's link and links to
 * the panel's controls open it as a drawer (Close, Esc or a click outside closes it, and focus
 * goes back where it was). A link to a control also opens the section it is in, scrolls to it,
 * focuses it and marks it for a moment. Call once per visit, before the engine is ready: the
 * drawer then shows the loading line.
 */
export function initPanelLinks(doc: Document = document): void {
  const panel = doc.getElementById("instance-panel");
  const opener = doc.querySelector<HTMLAnchorElement>('[data-testid="panel-open"]');
  const close = doc.querySelector<HTMLButtonElement>('[data-testid="panel-close"]');
  const title = doc.getElementById("instance-panel-title");
  if (!panel || !title) return;
  const html = doc.documentElement;
  let returnTo: HTMLElement | null = null;
  const isOpen = () => html.dataset["panelOpen"] === "true";

  const open = () => {
    if (isOpen()) return;
    returnTo = doc.activeElement instanceof HTMLElement ? doc.activeElement : null;
    html.dataset["panelOpen"] = "true";
    opener?.setAttribute("aria-expanded", "true");
    if (close) close.hidden = false;
    panel.scrollTop = 0;
  };
  const shut = (refocus: boolean) => {
    if (!isOpen()) return;
    delete html.dataset["panelOpen"];
    opener?.setAttribute("aria-expanded", "false");
    if (close) close.hidden = true;
    if (refocus) (returnTo ?? opener)?.focus();
    returnTo = null;
  };

  /** Shows the control with that id: the drawer if need be, its section, the control focused. */
  const show = (id: string) => {
    if (!panelBeside(panel)) open();
    const target = doc.getElementById(id);
    const live = doc.querySelector<HTMLElement>('[data-testid="panel-live"]');
    if (!target || !live || live.hidden) {
      title.focus();
      return;
    }
    const details = target.closest("details");
    if (details) details.open = true;
    const focusable =
      target.matches("input, select, button, textarea, [tabindex]") ? target : target.querySelector<HTMLElement>("input, select, button") ?? target;
    focusable.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
    const mark = target.closest(".panel-group, .panel-section, .panel-power") ?? target;
    mark.classList.remove("panel-flash");
    // Restarts the animation when the same control is asked for twice.
    void (mark as HTMLElement).offsetWidth;
    mark.classList.add("panel-flash");
    setTimeout(() => mark.classList.remove("panel-flash"), 1600);
  };

  opener?.setAttribute("aria-expanded", "false");
  doc.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target instanceof Element ? ev.target.closest<HTMLAnchorElement>("a[href^='#']") : null;
    if (a) {
      const id = decodeURIComponent(a.getAttribute("href")?.slice(1) ?? "");
      if (a === opener) {
        if (panelBeside(panel)) return; // the page's own scroll to the panel
        ev.preventDefault();
        if (isOpen()) shut(true);
        else {
          open();
          title.focus();
        }
        return;
      }
      if (id && id !== "instance-panel" && panel.contains(doc.getElementById(id))) {
        ev.preventDefault();
        show(id);
        return;
      }
    }
    // A click outside the open drawer closes it.
    if (isOpen() && ev.target instanceof Node && !panel.contains(ev.target) && !opener?.contains(ev.target)) shut(false);
  });
  close?.addEventListener("click", () => shut(true));
  doc.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && isOpen()) {
      ev.preventDefault();
      shut(true);
    }
  });
}
