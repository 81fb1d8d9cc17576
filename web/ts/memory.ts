// Memory: the world, each page's edited blocks and each page's shell variables survive a
// reload, in localStorage.
//
// Keys (each value is a whole JSON document with a format version):
//   imdsplay.world        {v: 1, savedAt, world: {scenario, clockOffsetMs, hops, version}}
//                         one for the whole site: every page shows the same instance
//   imdsplay.page.SLUG    {v: 1, savedAt, page, blocks: [{i, h, t}], vars: {instance, workstation}}
//                         one per page: its edited blocks (index, hash of the documented text,
//                         text) and its sessions' variables
//
// Two tabs write whole entries, so the last write of each key wins and no entry is ever half of
// one tab and half of the other. An entry that does not validate (another format version,
// damaged by hand, an old scenario the core refuses) is ignored with a console warning: the
// page then starts as documented, never broken. Reset removes every key.

import type { ImdsAPI, Snapshot } from "./api";
import type { LiveBlock } from "./liveblock";

const PREFIX = "imdsplay.";
const WORLD_KEY = `${PREFIX}world`;
const FORMAT = 1;

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

interface PageEntry {
  v: typeof FORMAT;
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

/** Checks a saved page; returns why it is unusable, or "". */
function pageProblem(v: unknown, slug: string): string {
  if (!isObject(v)) return "not an object";
  if (v["v"] !== FORMAT) return `format ${String(v["v"])}, not ${FORMAT}`;
  if (v["page"] !== slug) return "it belongs to another page";
  const blocks = v["blocks"];
  if (!Array.isArray(blocks)) return "blocks is not a list";
  for (const b of blocks) {
    if (!isObject(b) || !isInt(b["i"], 0, 999) || typeof b["h"] !== "string" || typeof b["t"] !== "string") return "a block is malformed";
  }
  const vars = v["vars"];
  if (!isObject(vars)) return "vars is not an object";
  for (const [place, m] of Object.entries(vars)) {
    if (place !== "instance" && place !== "workstation") return `vars names an unknown place ${place}`;
    if (!isObject(m) || !Object.values(m).every((x) => typeof x === "string")) return `vars.${place} is malformed`;
  }
  return "";
}

/** The page's memory. */
export class Memory {
  readonly pageKey: string;
  private page: PageEntry;
  private disabled = false;
  private saving = false;
  private again = false;

  constructor(readonly slug: string) {
    this.pageKey = `${PREFIX}page.${slug || "index"}`;
    this.page = { v: FORMAT, savedAt: "", page: slug, blocks: [], vars: {} };
  }

  /** Whether anything is saved for this page or the world (so there is something to restore). */
  hasSaved(): boolean {
    try {
      const s = store();
      return !!s && (s.getItem(WORLD_KEY) !== null || s.getItem(this.pageKey) !== null);
    } catch {
      return false;
    }
  }

  /** Reads key as JSON; null when absent or not JSON (warned). */
  private read(key: string): unknown {
    const s = store();
    let raw: string | null = null;
    try {
      raw = s?.getItem(key) ?? null;
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

  /** Writes a whole entry; a full or unavailable store only costs the memory. */
  private write(key: string, value: unknown): void {
    if (this.disabled) return;
    try {
      store()?.setItem(key, JSON.stringify(value));
    } catch (err) {
      console.warn(`imdsplay: could not save ${key}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The page's saved entry, validated; null when there is none or it is unusable. */
  private savedPage(): PageEntry | null {
    const v = this.read(this.pageKey);
    if (v === null) return null;
    const why = pageProblem(v, this.slug);
    if (why) {
      warn(this.pageKey, why);
      return null;
    }
    return v as PageEntry;
  }

  /**
   * Puts the page's saved texts back into its blocks (before the engine is ready: only text).
   * A saved block is applied where the documented text still hashes the same, so that a page
   * edited since does not receive a text meant for another block. Returns how many were put back.
   */
  restoreBlocks(blocks: LiveBlock[]): number {
    const saved = this.savedPage();
    if (!saved) return 0;
    this.page = saved;
    return applyBlocks(blocks, saved.blocks).applied;
  }

  /** Restores the world and the page's variables into the engine; a refused part is warned about and skipped. */
  async restoreSession(api: ImdsAPI): Promise<void> {
    const w = this.read(WORLD_KEY);
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
    const saved = this.page.savedAt ? this.page : this.savedPage();
    if (saved && Object.keys(saved.vars).length > 0) {
      try {
        await api.restore({ v: FORMAT, vars: saved.vars });
        this.page.vars = saved.vars;
      } catch (err) {
        warn(this.pageKey, err instanceof Error ? err.message : String(err));
      }
    }
  }

  /** Saves the page's edited blocks now. */
  saveBlocks(blocks: LiveBlock[]): void {
    this.page.blocks = blocks.filter((b) => b.edited()).map((b) => ({ i: b.index, h: b.hash, t: b.text() }));
    this.page.savedAt = new Date().toISOString();
    this.write(this.pageKey, this.page);
  }

  /**
   * Saves the world and the page's variables after a change. Calls that arrive while a save is
   * in progress are folded into one more save, so the last state always lands.
   */
  async saveSession(api: ImdsAPI): Promise<void> {
    if (this.disabled) return;
    if (this.saving) {
      this.again = true;
      return;
    }
    this.saving = true;
    try {
      do {
        this.again = false;
        const snap = await api.snapshot();
        const now = new Date().toISOString();
        if (snap.world) this.write(WORLD_KEY, { v: FORMAT, savedAt: now, world: snap.world } satisfies WorldEntry);
        this.page.vars = snap.vars ?? {};
        this.page.savedAt = now;
        this.write(this.pageKey, this.page);
      } while (this.again && !this.disabled);
    } catch (err) {
      console.warn(`imdsplay: could not save the session: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.saving = false;
    }
  }

  /** Forgets everything saved, for every page, and saves nothing more from this page. */
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
