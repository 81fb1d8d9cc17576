// The first script of every page of the site, inline in <head> (site/assets.go: the pages'
// policy allows it by its hash, so changing this file, or early.ts, changes the hash that
// netlify.toml must carry; the site build says which): it starts the engine's worker before
// anything else (early.ts says why). Nothing else belongs here: the smaller it is, the sooner
// it runs.

import { startEarly } from "./early";

startEarly("boot");
