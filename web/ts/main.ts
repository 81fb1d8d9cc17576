// The playground's runtime, bundled by the site generator (esbuild) into /assets/main.HASH.js
// and loaded with defer on every page. The page is complete without it; this makes its command
// blocks live: it loads the Go engine (wasm/), shows a progress line while it loads, and sets
// <html data-imds-ready="true"> when the engine is ready.

import type { ImdsAPI } from "./api";
import { generateKeys, loadEngine, mark, type Progress } from "./loader";
import { initLiveBlocks } from "./liveblock";

/** Updates the page's loading line, if it has one. */
function progressLine(): Progress {
  const line = document.querySelector<HTMLElement>('[data-testid="loading"]');
  return (state, text) => {
    if (!line) return;
    line.dataset["state"] = state;
    line.setAttribute("role", "status");
    line.textContent = text;
  };
}

/** Starts everything; keys first, because their generation overlaps the download. */
function boot(): void {
  const keys = generateKeys();
  const progress = progressLine();
  const engine: Promise<ImdsAPI> = loadEngine(keys, progress);
  initLiveBlocks(document, engine);
  engine.then(
    () => {
      mark("imds-ready");
      document.documentElement.dataset["imdsReady"] = "true";
      progress("ready", "Emulator ready: edit any command and run it.");
    },
    (err: unknown) => {
      document.documentElement.dataset["imdsReady"] = "false";
      progress("error", `The emulator could not start: ${err instanceof Error ? err.message : String(err)}. The page still reads fine.`);
    },
  );
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
