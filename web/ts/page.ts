// Page wiring: what each page of the visit gets, and gives back when the reader leaves it.
// main.ts boots the engine, the panel and memory once per visit; nav.ts swaps one page's
// content for the next's without reloading them; this file makes the content that is in the
// document live: its blocks (liveblock.ts), their runner (runner.ts), saved texts, the version
// switch's date, and the ready marker.
//
// Everything a page registers hangs on one AbortController, so teardown() removes every
// listener at once; countdowns stop by themselves when their nodes leave the document
// (clock.ts), and a run still going when the reader leaves finishes into the detached output.
//
// <html data-imds-page-ready="PATH"> (loader.ts's pageReady) is set when the page's blocks are
// live: the engine is ready and the blocks are wired, restored and dated. nav.ts removes it when
// a navigation starts, so click → that attribute is the time a reader waits (scripts/budgets
// measures it).

import type { ImdsAPI, RunResult } from "./api";
import type { RequestHistory } from "./history";
import { initLiveBlocks, type LiveBlock } from "./liveblock";
import { pageReady } from "./loader";
import type { Memory } from "./memory";
import { Runner } from "./runner";
import { shareRun } from "./share";
import type { VariablesPanel } from "./variables";

/** What every page shares: made once per visit by main.ts. */
export interface Site {
  /** Resolves when the engine is ready and memory and a shared link are restored. */
  readonly engine: Promise<ImdsAPI>;
  isReady(): boolean;
  readonly memory: Memory;
  readonly requests: RequestHistory | null;
  readonly variables: VariablesPanel | null;
  /** A block's run finished: the session changed. */
  ran(): void;
}

/** A wired page. */
export interface Page {
  /** <meta name="imds-page">, "" on the home page. */
  readonly slug: string;
  /** The page's heading, to name it in the variables panel. */
  readonly title: string;
  readonly blocks: LiveBlock[];
  readonly runner: Runner;
  /** Rewrites every block's version dates (the version switch). */
  applyVersion(v: string): void;
  /** Resolves when the page is ready (see data-imds-page-ready). */
  readonly ready: Promise<void>;
  /** Removes the page's listeners; the page's content is about to go. */
  teardown(): void;
}

/** The page's slug (<meta name="imds-page">), "" on the home page. */
export function pageSlug(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="imds-page"]')?.content ?? "";
}

/** The text of the page's first heading, without its anchor link. */
function heading(root: ParentNode): string {
  const h1 = root.querySelector("article h1");
  if (!h1) return document.title;
  const copy = h1.cloneNode(true) as HTMLElement;
  copy.querySelectorAll(".anchor").forEach((a) => a.remove());
  return copy.textContent?.trim() ?? "";
}

/**
 * Makes the page under root live. restoreTexts puts the page's saved edits back (not when a
 * shared link is about to put its own).
 */
export function wirePage(site: Site, root: ParentNode, restoreTexts: boolean): Page {
  const ac = new AbortController();
  const slug = pageSlug();
  const title = heading(root);
  let version = "";
  const onResult = (b: LiveBlock, r: RunResult) => {
    site.requests?.add(r);
    site.variables?.noteRun(b.on, r.set ?? [], { page: slug, title, block: b.index + 1 });
    site.ran();
  };
  // The runner is made right after the blocks it runs; the hooks only fire on a click.
  let runner: Runner | null = null;
  const blocks: LiveBlock[] = initLiveBlocks(
    root,
    {
      run: (b) => void runner?.run(b),
      stop: (b) => runner?.stop(b),
      onEdit: () => site.memory.saveBlocks(slug, blocks),
      share: (b) => site.engine.then((api) => shareRun(api, slug, blocks, b)),
    },
    ac.signal,
  );
  runner = new Runner(blocks, site.engine, () => site.isReady(), { onResult });
  // Saved texts go in at once, so the page reads as the reader left it while the engine loads.
  if (restoreTexts) site.memory.restoreBlocks(slug, blocks);

  const page: Page = {
    slug,
    title,
    blocks,
    runner,
    applyVersion(v: string) {
      if (v === version) return;
      version = v;
      for (const b of blocks) b.applyVersion(v);
      site.memory.saveBlocks(slug, blocks);
    },
    ready: site.engine.then(
      (api) => {
        if (ac.signal.aborted) return;
        const st = api.state();
        if (st) page.applyVersion(st.version);
        pageReady();
      },
      () => {},
    ),
    teardown() {
      ac.abort();
    },
  };
  return page;
}
