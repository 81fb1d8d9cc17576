// Memory: the world, the shell sessions' variables (with the block that set each) and each
// page's edited blocks survive a reload, in localStorage.
//
// Keys (each value is a whole JSON document with a format version):
//   imdsplay.world        {v: 1, savedAt, world: {scenario, clockOffsetMs, hops, version}}
//                         one for the whole site: every page shows the same instance
//   imdsplay.vars         {v: 1, savedAt, vars: {instance, workstation}, setBy: {instance:
//                         {NAME: {page, title, block?}}, workstation: {…}}}
//                         one for the whole site: one shell session per place for the visit,
//                         so a token got on one page is there on the next
//   imdsplay.page.SLUG    {v: 2, savedAt, page, blocks: [{i, h, t}]}
//                         one per page: its edited blocks (index, hash of the documented text,
//                         text). The home page's slug is "" and its key imdsplay.page.index.
//
// Version 1 page entries also held the page's variables ({…, vars: {instance, workstation}}).
// They are still read for their blocks; when no imdsplay.vars exists yet, their variables are
// merged into it (the most recently saved page wins a name both have, and is named as where the
// variable was set) and the entries are rewritten as version 2.
//
// Two tabs write whole entries, so the last write of each key wins and no entry is ever half of
// one tab and half of the other. An entry that does not validate (another format version,
// damaged by hand, an old scenario the core refuses) is ignored with a console warning: the
// page then starts as documented, never broken. Reset removes every key.

import type { ImdsAPI, Place, Snapshot } from "./api";
import type { LiveBlock } from "./liveblock";
import type { SetBy, Setter } from "./variables";

const PREFIX = "imdsplay.";
const WORLD_KEY = `${PREFIX}world`;
const VARS_KEY = `${PREFIX}vars`;
const PAGE_PREFIX = `${PREFIX}page.`;
/** The format of the world and vars entries, and of the snapshots given to the engine. */
const FORMAT = 1;
/** The format of page entries. */
const PAGE_FORMAT = 2;

/** A saved edited block. */
export interface SavedBlock {
  i: number;
  h: string;
  t: string;
}

type World = NonNullable<Snapshot["world"]>;
type Vars = NonNullable<Snapshot["vars"]>;

interface WorldEntry {
  v: typeof FORMAT;
  savedAt: string;
  world: World;
}

interface VarsEntry {
  v: typeof FORMAT;
  savedAt: string;
  vars: Vars;
  setBy: SetBy;
}

interface PageEntry {
  v: typeof PAGE_FORMAT;
  savedAt: string;
  page: string;
  blocks: SavedBlock[];
}

/** A version 1 page entry, as read. */
interface PageEntryV1 {
  v: 1;
  savedAt: string;
  page: string;
  blocks: SavedBlock[];
  vars: Vars;
}

/** localStorage, or null where it is unavailable (storage disabled, some private modes). */
function store(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function warn(key: string, why: string): void {
  console.warn(`imdsplay: ignoring the saved ${key}: ${why}. The page starts as documented.`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isPlace = (p: string): p is Place => p === "instance" || p === "workstation";

/** The storage key of a page's entry. */
export function pageKey(slug: string): string {
  return `${PAGE_PREFIX}${slug || "index"}`;
}

/** Checks a saved world; returns why it is unusable, or "". */
function worldProblem(v: unknown): string {
  if (!isObject(v)) return "not an object";
  if (v["v"] !== FORMAT) return `format ${String(v["v"])}, not ${FORMAT}`;
  const w = v["world"];
  if (!isObject(w)) return "no world";
  if (!isObject(w["scenario"])) return "world.scenario is not an object";
  if (!isInt(w["clockOffsetMs"], 0, Number.MAX_SAFE_INTEGER)) return "world.clockOffsetMs is not a count of milliseconds";
  if (!isInt(w["hops"], 0, 64)) return "world.hops is out of range";
  if (typeof w["version"] !== "string" || !/^(\d{4}-\d{2}-\d{2})?$/.test(w["version"])) return "world.version is not a date";
  return "";
}

/** Checks variables by place; returns why they are unusable, or "". */
function varsProblem(vars: unknown, field: string): string {
  if (!isObject(vars)) return `${field} is not an object`;
  for (const [place, m] of Object.entries(vars)) {
    if (!isPlace(place)) return `${field} names an unknown place ${place}`;
    if (!isObject(m) || !Object.values(m).every((x) => typeof x === "string")) return `${field}.${place} is malformed`;
  }
  return "";
}

/** Checks who set which variable; returns why it is unusable, or "". */
function setByProblem(v: unknown): string {
  if (!isObject(v)) return "setBy is not an object";
  for (const [place, m] of Object.entries(v)) {
    if (!isPlace(place) || !isObject(m)) return `setBy.${place} is malformed`;
    for (const s of Object.values(m)) {
      if (!isObject(s) || typeof s["page"] !== "string" || typeof s["title"] !== "string") return `setBy.${place} has a malformed entry`;
      if (s["block"] !== undefined && !isInt(s["block"], 1, 1000)) return `setBy.${place} has a malformed block number`;
    }
  }
  return "";
}

/** Checks a saved vars entry; returns why it is unusable, or "". */
function varsEntryProblem(v: unknown): string {
  if (!isObject(v)) return "not an object";
  if (v["v"] !== FORMAT) return `format ${String(v["v"])}, not ${FORMAT}`;
  return varsProblem(v["vars"], "vars") || setByProblem(v["setBy"]);
}

/** Checks a saved page (version 1 or 2); returns why it is unusable, or "". */
function pageProblem(v: unknown, slug: string): string {
  if (!isObject(v)) return "not an object";
  if (v["v"] !== PAGE_FORMAT && v["v"] !== 1) return `format ${String(v["v"])}, not ${PAGE_FORMAT}`;
  if (v["page"] !== slug) return "it belongs to another page";
  const blocks = v["blocks"];
  if (!Array.isArray(blocks)) return "blocks is not a list";
  for (const b of blocks) {
    if (!isObject(b) || !isInt(b["i"], 0, 999) || typeof b["h"] !== "string" || typeof b["t"] !== "string") return "a block is malformed";
  }
  return v["v"] === 1 ? varsProblem(v["vars"], "vars") : "";
}

/** Reads key as JSON; null when absent or not JSON (warned). */
function read(key: string): unknown {
  let raw: string | null = null;
  try {
    raw = store()?.getItem(key) ?? null;
  } catch {
    return null;
  }
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    warn(key, "it is not valid JSON");
    return null;
  }
}

/** The site's memory, for every page of the visit. */
export class Memory {
  private disabled = false;

  /** Writes a whole entry; a full or unavailable store only costs the memory. */
  private write(key: string, value: unknown): void {
    if (this.disabled) return;
    try {
      store()?.setItem(key, JSON.stringify(value));
    } catch (err) {
      console.warn(`imdsplay: could not save ${key}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A page's saved entry, validated; null when there is none or it is unusable. */
  private savedPage(slug: string): PageEntry | PageEntryV1 | null {
    const key = pageKey(slug);
    const v = read(key);
    if (v === null) return null;
    const why = pageProblem(v, slug);
    if (why) {
      warn(key, why);
      return null;
    }
    return v as PageEntry | PageEntryV1;
  }

  /**
   * Puts a page's saved texts back into its blocks (before the engine is ready: only text). A
   * saved block is applied where the documented text still hashes the same, so that a page
   * edited since does not receive a text meant for another block. Returns how many were put back.
   */
  restoreBlocks(slug: string, blocks: LiveBlock[]): number {
    const saved = this.savedPage(slug);
    if (!saved) return 0;
    return applyBlocks(blocks, saved.blocks).applied;
  }

  /** Saves a page's edited blocks now. */
  saveBlocks(slug: string, blocks: LiveBlock[]): void {
    this.write(pageKey(slug), {
      v: PAGE_FORMAT,
      savedAt: new Date().toISOString(),
      page: slug,
      blocks: blocks.filter((b) => b.edited()).map((b) => ({ i: b.index, h: b.hash, t: b.text() })),
    } satisfies PageEntry);
  }

  /**
   * Restores the world and the variables into the engine; a refused part is warned about and
   * skipped. Resolves to who set which variable, as saved. Without anything saved it does not
   * touch the engine at all.
   */
  async restoreSession(api: ImdsAPI): Promise<SetBy> {
    const w = read(WORLD_KEY);
    if (w !== null) {
      const why = worldProblem(w);
      if (why) warn(WORLD_KEY, why);
      else {
        try {
          await api.restore({ v: FORMAT, world: (w as WorldEntry).world });
        } catch (err) {
          warn(WORLD_KEY, err instanceof Error ? err.message : String(err));
        }
      }
    }
    const saved = this.savedVars();
    if (!saved || Object.keys(saved.vars).length === 0) return saved?.setBy ?? {};
    try {
      await api.restore({ v: FORMAT, vars: saved.vars });
    } catch (err) {
      warn(VARS_KEY, err instanceof Error ? err.message : String(err));
    }
    return saved.setBy;
  }

  /** The saved variables: imdsplay.vars, or those of version 1 page entries, migrated. */
  private savedVars(): VarsEntry | null {
    const v = read(VARS_KEY);
    if (v !== null) {
      const why = varsEntryProblem(v);
      if (!why) return v as VarsEntry;
      warn(VARS_KEY, why);
      return null;
    }
    return this.migrate();
  }

  /**
   * Merges the variables of version 1 page entries into one imdsplay.vars (oldest first, so
   * the latest value of a name wins) and rewrites those entries without them.
   */
  private migrate(): VarsEntry | null {
    const s = store();
    if (!s) return null;
    const old: PageEntryV1[] = [];
    try {
      for (let i = 0; i < s.length; i++) {
        const key = s.key(i);
        if (!key?.startsWith(PAGE_PREFIX)) continue;
        const v = read(key);
        if (isObject(v) && v["v"] === 1 && typeof v["page"] === "string" && !pageProblem(v, v["page"])) old.push(v as unknown as PageEntryV1);
      }
    } catch {
      return null;
    }
    if (!old.some((e) => Object.keys(e.vars).length)) return null;
    old.sort((a, b) => (a.savedAt < b.savedAt ? -1 : a.savedAt > b.savedAt ? 1 : 0));
    const entry: VarsEntry = { v: FORMAT, savedAt: new Date().toISOString(), vars: {}, setBy: {} };
    for (const e of old) {
      for (const [place, m] of Object.entries(e.vars) as [Place, Record<string, string>][]) {
        const vars = (entry.vars[place] ??= {});
        const setBy = (entry.setBy[place] ??= {});
        for (const [name, value] of Object.entries(m)) {
          vars[name] = value;
          setBy[name] = { page: e.page, title: "" } satisfies Setter;
        }
      }
    }
    this.write(VARS_KEY, entry);
    for (const e of old) this.write(pageKey(e.page), { v: PAGE_FORMAT, savedAt: e.savedAt, page: e.page, blocks: e.blocks } satisfies PageEntry);
    return entry;
  }

  /** Saves the world and the variables of a snapshot, with who set each variable. */
  save(snap: Snapshot, setBy: SetBy): void {
    const now = new Date().toISOString();
    if (snap.world) this.write(WORLD_KEY, { v: FORMAT, savedAt: now, world: snap.world } satisfies WorldEntry);
    const vars = snap.vars ?? {};
    // Nothing to keep and nothing kept: no entry (a fresh page writes none).
    if (!Object.values(vars).some((m) => m && Object.keys(m).length) && read(VARS_KEY) === null) return;
    // Only the names that still hold a value keep their setter.
    const kept: SetBy = {};
    for (const place of Object.keys(vars) as Place[]) {
      const by = setBy[place];
      if (!by) continue;
      const m: Record<string, Setter> = {};
      for (const name of Object.keys(vars[place] ?? {})) {
        const s = by[name];
        if (s) m[name] = s;
      }
      kept[place] = m;
    }
    this.write(VARS_KEY, { v: FORMAT, savedAt: now, vars, setBy: kept } satisfies VarsEntry);
  }

  /** Forgets everything saved, for every page, and saves nothing more. */
  clearAll(): void {
    this.disabled = true;
    const s = store();
    if (!s) return;
    try {
      const keys: string[] = [];
      for (let i = 0; i < s.length; i++) {
        const k = s.key(i);
        if (k?.startsWith(PREFIX)) keys.push(k);
      }
      for (const k of keys) s.removeItem(k);
    } catch (err) {
      console.warn(`imdsplay: could not clear the saved state: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * Puts saved or shared texts into blocks: at the same index when the documented text hashes
 * the same (or no hash was kept), else at the one block whose documented text has that hash.
 */
export function applyBlocks(blocks: LiveBlock[], saved: { i: number; h?: string; t: string }[]): { applied: number; missed: number } {
  let applied = 0;
  let missed = 0;
  for (const s of saved) {
    let b = blocks.find((x) => x.index === s.i && (!s.h || x.hash === s.h));
    if (!b && s.h) {
      const same = blocks.filter((x) => x.hash === s.h);
      if (same.length === 1) b = same[0];
    }
    if (b) {
      b.setText(s.t);
      applied++;
    } else missed++;
  }
  return { applied, missed };
}
