// The first script of every page of the site (/assets/boot-HASH.js, async in <head>): it starts
// the engine's worker before anything else (early.ts says why). Nothing else belongs here: the
// smaller it is, the sooner it runs.

import { startEarly } from "./early";

startEarly("boot");
