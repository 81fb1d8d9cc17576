// Client-side navigation between the playground's pages, so that the engine and its shell
// sessions live for the whole visit: a click on a link to another page of the site (the
// sidebar, the pager, a link in the text, the variables panel) fetches that page's HTML, swaps
// the content in and wires it (page.ts), as docs sites built on a router do. Without
// JavaScript, or for any link this does not take, the links are plain links.
//
// What is taken: a same-origin link, with no target, download or modifier key, to a path the
// sidebar lists (the pages). Not taken: links within the page (#section: the browser scrolls),
// /embed/ pages, assets and downloads, other sites, a shared link (#imds=…: a full load opens
// it), and any page whose fetch fails, whose HTML is not a playground page of this build (a new
// deploy names other assets) or that carries its own scripts in its text (the embedding guide
// runs embed.js): those load normally.
//
// Each page's HTML is fetched at most once per visit: on hover or keyboard focus of a link to
// it, when the pager's link to it scrolls into view, or on the click. The swap replaces <main>
// (article and pager), the title, the description, <meta name="imds-page"> and the sidebar's
// aria-current; the header, the sidebar's scroll and the instance panel stay. History: each
// navigation pushes an entry; back and forward swap the page back and restore its scroll
// position (history.scrollRestoration is manual, so the page does it itself, also after a
// reload). Focus moves to the new page's heading and a polite live region names the page.

/** What the navigation does around a swap. */
export interface NavHooks {
  /** The current page is about to be replaced: tear its wiring down. */
  leave(): void;
  /** The new page's content is in the document: wire it. */
  enter(): void;
}

/** The state this module keeps in history entries. */
interface NavState {
  imdsKey?: string;
  imdsScroll?: number;
}

/** Whether a value is an object holding our keys. */
function navState(v: unknown): NavState {
  return typeof v === "object" && v !== null ? (v as NavState) : {};
}

/** The paths the sidebar lists: the playground's pages. */
function pagePaths(): Set<string> {
  const out = new Set<string>();
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('[data-testid="sidebar"] a[href]'))) {
    out.add(new URL(a.href).pathname);
  }
  return out;
}

/** The URL of a link this module takes, or null. */
function target(a: HTMLAnchorElement, pages: Set<string>): URL | null {
  if (!a.href || (a.target && a.target !== "_self") || a.hasAttribute("download")) return null;
  if (/\bexternal\b/.test(a.rel)) return null;
  const url = new URL(a.href);
  if (url.origin !== location.origin || !pages.has(url.pathname)) return null;
  if (url.hash.startsWith("#imds=")) return null;
  return url;
}

/** The element a fragment names, if any. */
function fragmentTarget(hash: string): HTMLElement | null {
  if (!hash || hash === "#") return null;
  try {
    return document.getElementById(decodeURIComponent(hash.slice(1)));
  } catch {
    return null;
  }
}

/** A new key for a history entry. */
function newKey(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** Starts client-side navigation. Call once, with the first page already wired. */
export function initNav(hooks: NavHooks): void {
  const pages = pagePaths();
  /** Each page's HTML, fetched at most once. */
  const cache = new Map<string, Promise<string>>();
  /** Scroll positions by history entry key, for back and forward. */
  const scrolls = new Map<string, number>();
  const html = document.documentElement;
  const live = document.createElement("p");
  live.className = "offscreen";
  live.dataset["testid"] = "nav-status";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  document.body.append(live);

  let shown = location.pathname; // the path whose content is in the document
  let key = navState(history.state).imdsKey ?? newKey();
  let seq = 0;
  history.replaceState({ ...navState(history.state), imdsKey: key }, "");
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";

  /** Records the scroll position of the entry being shown. */
  const remember = () => {
    scrolls.set(key, window.scrollY);
    history.replaceState({ ...navState(history.state), imdsKey: key, imdsScroll: window.scrollY }, "");
  };

  /** Fetches a page's HTML once; a failure is forgotten, so a later try fetches again. */
  const fetchPage = (path: string, low = false): Promise<string> => {
    let p = cache.get(path);
    if (!p) {
      const init: RequestInit & { priority?: string } = { credentials: "same-origin", headers: { Accept: "text/html" } };
      if (low) init.priority = "low";
      p = fetch(path, init).then((r) => {
        if (!r.ok || !(r.headers.get("Content-Type") ?? "").includes("text/html")) throw new Error(`${path}: ${r.status}`);
        return r.text();
      });
      cache.set(path, p);
      p.catch(() => cache.delete(path));
    }
    return p;
  };
  const prefetch = (path: string) => {
    if (path !== shown && pages.has(path)) void fetchPage(path, true).catch(() => {});
  };

  /** Whether doc is a page this document can take in. */
  const fits = (doc: Document): boolean => {
    const same = (sel: string, attr: string) => document.querySelector(sel)?.getAttribute(attr) === doc.querySelector(sel)?.getAttribute(attr);
    return (
      !!doc.querySelector("main#content article") &&
      same('script[type="module"][src]', "src") &&
      same('meta[name="imds-wasm"]', "content") &&
      !doc.querySelector("main#content script")
    );
  };

  /** Puts doc's content in place of the current page's. */
  const swap = (doc: Document, path: string) => {
    document.title = doc.title;
    for (const name of ["description", "imds-page"]) {
      const now = document.head.querySelector<HTMLMetaElement>(`meta[name="${name}"]`);
      const next = doc.head.querySelector<HTMLMetaElement>(`meta[name="${name}"]`);
      if (next && now) now.content = next.content;
      else if (next) document.head.append(document.importNode(next, true));
      else now?.remove();
    }
    const main = document.querySelector("main#content");
    const incoming = doc.querySelector("main#content");
    if (main && incoming) main.replaceWith(document.adoptNode(incoming));
    for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('[data-testid="sidebar"] a[href]'))) {
      if (new URL(a.href).pathname === path) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  };

  /** Moves focus to the new page and names it for screen readers. */
  const arrive = () => {
    const h1 = document.querySelector<HTMLElement>("main#content h1") ?? document.querySelector<HTMLElement>("main#content");
    if (h1) {
      h1.setAttribute("tabindex", "-1");
      h1.focus({ preventScroll: true });
    }
    live.textContent = "";
    requestAnimationFrame(() => (live.textContent = `Page: ${document.title}`));
  };

  /**
   * Scrolls the new page: to a remembered position (back, forward), to its fragment's element,
   * or to the top. A fragment is navigated to for real (replacing the entry just pushed), so
   * that :target and hashchange are as after a full load.
   */
  const place = (url: URL, y: number | undefined) => {
    if (y === undefined && fragmentTarget(url.hash)) {
      location.replace(url.href);
      history.replaceState({ ...navState(history.state), imdsKey: key }, "");
      return;
    }
    window.scrollTo(0, y ?? 0);
  };

  /**
   * Shows the page at url: push a history entry for a click; for back/forward the entry is
   * already there (state is its state). Falls back to a normal load when the page cannot be
   * taken in.
   */
  const go = async (url: URL, push: boolean, state?: NavState): Promise<void> => {
    const mine = ++seq;
    if (push) remember();
    else scrolls.set(key, window.scrollY);
    delete html.dataset["imdsPageReady"];
    let doc: Document;
    try {
      doc = new DOMParser().parseFromString(await fetchPage(url.pathname), "text/html");
    } catch {
      doc = document.implementation.createHTMLDocument("");
    }
    if (mine !== seq) return; // a later navigation took over
    if (!fits(doc)) {
      cache.delete(url.pathname);
      if (push) location.assign(url.href);
      else location.reload();
      return;
    }
    if (push) {
      key = newKey();
      history.pushState({ imdsKey: key } satisfies NavState, "", url.href);
    } else {
      key = state?.imdsKey ?? newKey();
      if (!state?.imdsKey) history.replaceState({ ...navState(history.state), imdsKey: key }, "");
    }
    hooks.leave();
    swap(doc, url.pathname);
    shown = url.pathname;
    hooks.enter();
    place(url, push ? undefined : (scrolls.get(key) ?? state?.imdsScroll));
    arrive();
    observePager();
  };

  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target instanceof Element ? ev.target.closest<HTMLAnchorElement>("a[href]") : null;
    if (!a) return;
    const url = target(a, pages);
    if (!url) return;
    if (url.pathname === shown && url.search === location.search) {
      if (url.hash) {
        remember(); // the browser scrolls to the fragment and adds an entry; back comes here
        return;
      }
      ev.preventDefault();
      window.scrollTo(0, 0);
      arrive();
      return;
    }
    ev.preventDefault();
    void go(url, true);
  });

  window.addEventListener("popstate", (ev) => {
    const url = new URL(location.href);
    const state = navState(ev.state);
    if (url.pathname === shown) {
      // Within the page (a fragment): the scroll this entry had, else its fragment's element.
      if (state.imdsKey) key = state.imdsKey;
      const y = state.imdsKey ? (scrolls.get(state.imdsKey) ?? state.imdsScroll) : undefined;
      if (y !== undefined) window.scrollTo(0, y);
      else fragmentTarget(url.hash)?.scrollIntoView();
      return;
    }
    if (!pages.has(url.pathname)) {
      location.reload();
      return;
    }
    void go(url, false, state);
  });

  // A reload or a return keeps the scroll position (manual restoration).
  window.addEventListener("pagehide", remember);
  const start = navState(history.state).imdsScroll;
  if (start !== undefined && !location.hash) window.scrollTo(0, start);

  // Prefetch on intent: hover or keyboard focus of a link to a page.
  const intent = (ev: Event) => {
    const a = ev.target instanceof Element ? ev.target.closest<HTMLAnchorElement>("a[href]") : null;
    const url = a && target(a, pages);
    if (url) prefetch(url.pathname);
  };
  document.addEventListener("pointerover", intent, { passive: true });
  document.addEventListener("focusin", intent);

  // And when the pager's links come into view: the reader is near the end of the page.
  const saveData = (navigator as Navigator & { connection?: { saveData?: boolean } }).connection?.saveData === true;
  const seen =
    "IntersectionObserver" in window && !saveData
      ? new IntersectionObserver((entries) => {
          for (const e of entries) {
            if (!e.isIntersecting) continue;
            seen?.unobserve(e.target);
            if (e.target instanceof HTMLAnchorElement) prefetch(new URL(e.target.href).pathname);
          }
        })
      : null;
  const observePager = () => {
    seen?.disconnect();
    for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('[data-testid="pager"] a[href]'))) seen?.observe(a);
  };
  observePager();
}
