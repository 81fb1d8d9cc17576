// The playground's runtime, bundled by the site generator (esbuild) into /assets/main.HASH.js
// and loaded as an async module on every page. The page is complete without it; this makes its
// command blocks live.
//
// Once per visit (this file): it starts the Go engine (wasm/) in its worker, shows a progress
// line while it loads, restores memory (memory.ts) and a shared link (share.ts), wires the
// instance panel, the variables panel and the request history, and sets
// <html data-imds-ready="true"> when the engine is ready. globalThis.imds is the engine's API
// on the page (client.ts), for embeds on the page, tests and the console. Ready means restored: the saved world and variables and a shared
// link's blocks and scenario are in place before the first queued Run goes.
//
// Per page (page.ts): the blocks of the page in the document, wired to that one engine; nav.ts
// swaps pages without reloading, tearing the old page's wiring down and wiring the new one.

import type { ImdsAPI, State } from "./api";
import { RequestHistory } from "./history";
import { mark } from "./client";
import { loadEngine, type Progress } from "./loader";
import { Memory } from "./memory";
import { initNav } from "./nav";
import { wirePage, type Page, type Site } from "./page";
import { initPanel, initPanelLinks, mountPanel, panelStatus } from "./panel";
import { openLink, share, sharedFragment } from "./share";
import { VariablesPanel } from "./variables";

/** Updates the page's loading line; the latest line is kept for a line not parsed yet. */
function progressLine(): Progress & { again(): void } {
  let last: [Parameters<Progress>[0], string] | null = null;
  const show: Progress = (state, text) => {
    last = [state, text];
    const line = document.querySelector<HTMLElement>('[data-testid="loading"]');
    if (!line) return;
    line.dataset["state"] = state;
    line.setAttribute("role", "status");
    line.textContent = text;
  };
  return Object.assign(show, { again: () => last && show(...last) });
}

/** A promise and its resolve/reject, for a value made later. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves in a later task, so that what waits (a frame, input, the worker's messages) goes first. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Opens a shared link into the first page; resolves to a line for the panel about it. */
async function openShared(api: ImdsAPI, page: Page, memory: Memory, fragment: string): Promise<string> {
  try {
    const r = await openLink(api, fragment, page.slug, page.blocks);
    memory.saveBlocks(page.slug, page.blocks);
    if (r.run) {
      page.runner.offer(r.run.block, r.run.pre);
      r.run.block.el.scrollIntoView({ block: "start" });
      r.run.block.focusRun();
    }
    const n = r.applied === 1 ? "1 edited block" : `${r.applied} edited blocks`;
    return (
      `Opened from a shared link: ${n} and the instance's settings.` +
      (r.missed ? ` ${r.missed} no longer match this page and were left out.` : "") +
      (r.runMissed ? " The block it ran no longer matches this page." : "")
    );
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.warn(`imdsplay: ${why}`);
    memory.restoreBlocks(page.slug, page.blocks);
    return `This link could not be opened (${why}); the page shows your own state instead.`;
  }
}

/** Wires the page, once it is parsed, to the engine that is loading. */
function boot(engine: Promise<ImdsAPI>, progress: ReturnType<typeof progressLine>): void {
  progress.again();
  mountPanel(document);
  const memory = new Memory();
  const fragment = sharedFragment();
  const ready = deferred<ImdsAPI>();
  let isReady = false;
  let dirty = false;
  let variables: VariablesPanel | null = null;

  const historyList = document.querySelector<HTMLElement>('[data-testid="history"]');
  const site: Site = {
    engine: ready.promise,
    isReady: () => isReady,
    memory,
    requests: historyList
      ? new RequestHistory(historyList, document.querySelector<HTMLElement>('[data-testid="history-count"]'), ready.promise)
      : null,
    get variables() {
      return variables;
    },
    ran: () => {
      dirty = true;
    },
  };
  // The panel is one tap away from the first moment (panel.ts), loading line and all.
  initPanelLinks(document);
  // The page's blocks and the navigation are wired each in a task of its own: in one, with the
  // module's evaluation, they made the longest task of a first visit (90–190 ms under load).
  // Until then the blocks' buttons are hidden and the links are plain links.
  let page!: Page;
  const wired = (async () => {
    await nextTask();
    // A shared link's texts wait for the engine (its codec is Go); memory's go in at once.
    page = wirePage(site, document, !fragment);
    await nextTask();
    initNav({
      leave: () => page.teardown(),
      enter: () => {
        page = wirePage(site, document, true);
      },
    });
  })();

  engine
    .then(async (api) => {
      await wired;
      const varsList = document.querySelector<HTMLElement>('[data-testid="vars"]');
      if (varsList) variables = new VariablesPanel(varsList, document.querySelector<HTMLElement>('[data-testid="vars-count"]'), api);
      let status = "";
      try {
        const setBy = await memory.restoreSession(api);
        if (variables) variables.setBy = setBy;
        if (fragment) status = await openShared(api, page, memory, fragment);
      } catch (err) {
        console.warn(`imdsplay: restoring the saved state failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      globalThis.imds = api;
      isReady = true;
      ready.resolve(api);
      mark("imds-ready");
      document.documentElement.dataset["imdsReady"] = "true";
      progress("ready", "Emulator ready: edit any command and run it.");
      wirePanel(api, () => page, memory, variables, status, dirty);
    })
    .catch((err: unknown) => {
      ready.reject(err);
      document.documentElement.dataset["imdsReady"] = "false";
      progress("error", `The emulator could not start: ${err instanceof Error ? err.message : String(err)}. The page still reads fine.`);
    });
}

/**
 * Keeps the engine's state in memory and the variables panel, one snapshot at a time: changes
 * that arrive while a snapshot is taken are folded into one more, so the last state lands.
 */
function sessionSync(api: ImdsAPI, memory: Memory, variables: VariablesPanel | null): () => void {
  let busy = false;
  let again = false;
  const sync = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const snap = await api.snapshot();
        memory.save(snap, variables?.setBy ?? {});
        variables?.render(snap.vars);
      } while (again);
    } catch (err) {
      console.warn(`imdsplay: could not save the session: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      busy = false;
    }
  };
  return () => void sync();
}

/**
 * Wires the panel, the version switch and saving to the engine, once per visit; current is the
 * page shown now. dirty says a run already finished (before this was wired), so the session
 * is saved now.
 */
function wirePanel(api: ImdsAPI, current: () => Page, memory: Memory, variables: VariablesPanel | null, status: string, dirty: boolean): void {
  const sync = sessionSync(api, memory, variables);
  // The version switch rewrites every block's dates; a change from anywhere (the panel, an
  // embed, a restored world, a link) lands here.
  const render = initPanel(document, {
    api,
    share: () => share(api, current().slug, current().blocks),
    resetAll: () => {
      memory.clearAll();
      location.replace(`${location.pathname}${location.search}`);
    },
  });
  api.onChange((st: State) => {
    current().applyVersion(st.version);
    render?.(st);
    sync();
  });
  const st = api.state();
  if (st) current().applyVersion(st.version);
  if (status) panelStatus(document, status);
  // The list shows what memory restored (or that there is nothing yet) without waiting for a run.
  if (dirty || variables) sync();
}

// The engine starts as soon as this script runs (it is async: before the page is parsed and
// drawn, if it can), because its loading is what the page waits for; the page is wired once it
// is parsed.
const progress = progressLine();
const engine: Promise<ImdsAPI> = loadEngine(progress);
// Wired in the task after DOMContentLoaded, not in it: the panel's controls (mountPanel) must not
// be in the page when the browser looks for forms right after that event.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => setTimeout(() => boot(engine, progress)), { once: true });
else boot(engine, progress);
