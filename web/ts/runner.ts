// Running a page's live blocks: in click order per place (a place is one shell session), and
// with what each needs. A reader who arrives in the middle of a page (a search hit, a heading
// link) and runs a block whose variables or files are missing gets the blocks above it that
// set them run first, in page order, and a line saying so ("Ran block 2 first to set
// $identity_token"), as the embeds' setup blocks do. What is missing is asked of the session
// itself, by a short script that tests each name, so a variable set on another page counts.
//
// A shared link that reproduces a run (share.ts) names the blocks to run first; the runner
// keeps that offer until the reader presses Run on the block.
//
// Stop (or Esc) ends a click's work: the run under way is stopped (client.ts: cancelled, or the
// engine restarted from the saved world), and the runs it still had to make are not made. The
// next click at the same place then goes at once.

import type { ImdsAPI, Place, RunResult, Session } from "./api";
import { el } from "./dom";
import type { LiveBlock, Names } from "./liveblock";
import { renderResult, renderState } from "./output";

/** What the runner tells the rest of the runtime. */
export interface RunnerHooks {
  /** A block's run finished (a prerequisite's too). */
  onResult(block: LiveBlock, result: RunResult): void;
}

/** The blocks to run before one, and what each provides of what it needs. */
export interface Plan {
  pre: LiveBlock[];
  /** What each block of pre is run for (as "$name" or a file name). */
  gives: Map<LiveBlock, string[]>;
  /** What nothing above provides. */
  missing: string[];
}

/** Names as the page says them: "$var" for variables, files as they are. */
function label(n: Names): string[] {
  return [...n.vars.map((v) => `$${v}`), ...n.files];
}

/** "a", "a and b", "a, b and c". */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.-]+)*$/;

/**
 * The script that prints what of names a session lacks, one "var NAME" or "file NAME" a line:
 * an empty variable, a file that does not exist. Names come from the site build (which only
 * writes names that match internal/shvars' rules) and are checked again here against the same
 * rules, IDENT and FILE, so that a page's markup can never put code into the script.
 */
export function checkScript(n: Names): string {
  const lines: string[] = [];
  for (const v of n.vars) if (IDENT.test(v)) lines.push(`[ -n "\${${v}-}" ] || echo 'var ${v}'`);
  for (const f of n.files) if (FILE.test(f)) lines.push(`[ -e '${f}' ] || echo 'file ${f}'`);
  return lines.join("\n");
}

/**
 * Plans the blocks to run before b, given what the session lacks: walking up the page from b,
 * each block at b's place that provides something still needed runs first, and what it needs
 * in turn is needed too. With lacks undefined everything counts as missing (a fresh session, as
 * a shared link's reader has).
 */
export function plan(blocks: readonly LiveBlock[], b: LiveBlock, lacks?: Set<string>): Plan {
  const missing = (n: Names): Set<string> => new Set(label(n).filter((x) => !lacks || lacks.has(x)));
  const need = missing(b.needs());
  const pre: LiveBlock[] = [];
  const gives = new Map<LiveBlock, string[]>();
  for (let j = b.index - 1; j >= 0 && need.size; j--) {
    const a = blocks.find((x) => x.index === j);
    if (!a || a.on !== b.on) continue;
    const g = label(a.provides()).filter((x) => need.has(x));
    if (!g.length) continue;
    pre.unshift(a);
    gives.set(a, g);
    for (const x of g) need.delete(x);
    for (const x of missing(a.needs())) need.add(x);
  }
  return { pre, gives, missing: [...need] };
}

/** Runs a page's blocks. */
export class Runner {
  private readonly chains = new Map<Place, Promise<unknown>>();
  /** Clicks not yet done, by place, to say when one waits for another. */
  private readonly waiting = new Map<Place, number>();
  /** The Stop of each block's click under way. */
  private readonly stops = new Map<LiveBlock, AbortController>();
  /** A shared run waiting for the reader's click: the block and what runs first. */
  private offered: { block: LiveBlock; pre: LiveBlock[] } | null = null;

  constructor(
    private readonly blocks: readonly LiveBlock[],
    private readonly engine: Promise<ImdsAPI>,
    private readonly isReady: () => boolean,
    private readonly hooks: RunnerHooks,
  ) {}

  /** Keeps a shared run for b: its next Run runs pre first, whatever the session holds. */
  offer(b: LiveBlock, pre: LiveBlock[]): void {
    this.offered = { block: b, pre };
    const first = pre.length ? ` (it runs ${pre.length === 1 ? "block" : "blocks"} ${list(pre.map((p) => String(p.index + 1)))} first)` : "";
    b.out.replaceChildren(
      el("p", { class: "hint", testid: "shared-run" }, `Opened from a shared link: press Run to reproduce its run${first}.`),
    );
    b.out.dataset["state"] = "offered";
  }

  /** Runs b after the runs queued before it at its place, with what it needs run first. */
  run(b: LiveBlock): Promise<void> {
    const ctl = new AbortController();
    this.stops.get(b)?.abort();
    this.stops.set(b, ctl);
    b.busy(true);
    const ahead = this.waiting.get(b.on) ?? 0;
    this.waiting.set(b.on, ahead + 1);
    // Until the engine is ready the click is queued, in order, behind the loading.
    if (!this.isReady()) renderState(b.out, "queued", "Queued: the emulator is still loading…");
    else if (ahead) renderState(b.out, "queued", "Waiting for the command still running in this session (Stop it to run this one now)…");
    else renderState(b.out, "running", "Running…");
    const job = (this.chains.get(b.on) ?? Promise.resolve()).then(() => this.job(b, ctl));
    const done = job
      .catch(() => {})
      .finally(() => {
        this.waiting.set(b.on, (this.waiting.get(b.on) ?? 1) - 1);
        if (this.stops.get(b) === ctl) this.stops.delete(b);
      });
    this.chains.set(b.on, done);
    return done;
  }

  /** Stops b's click: its run under way, and the runs it has yet to make. */
  stop(b: LiveBlock): void {
    this.stops.get(b)?.abort();
  }

  /** One click's work: plan, the blocks first, then b. */
  private async job(b: LiveBlock, ctl: AbortController): Promise<void> {
    const signal = ctl.signal;
    try {
      if (signal.aborted) {
        renderState(b.out, "error", "Stopped before it ran.");
        return;
      }
      const api = await this.engine;
      const session = api.newSession({ on: b.on });
      if (session.busy()) renderState(b.out, "queued", "Waiting for the command still running in this session (Stop it to run this one now)…");
      let p: Plan;
      let why = "to set";
      if (this.offered?.block === b) {
        p = { ...plan(this.blocks, b), pre: this.offered.pre };
        why = "as the shared link says, to set";
        this.offered = null;
      } else {
        p = await this.lacking(session, b, signal);
      }
      const ran: { block: LiveBlock; exit: number | null }[] = [];
      for (const a of p.pre) {
        if (signal.aborted) break;
        renderState(b.out, "running", `Running block ${a.index + 1} first…`);
        // The block run first stops this click too: its Stop is this one's.
        this.stops.set(a, ctl);
        ran.push({ block: a, exit: await this.exec(api, session, a, signal) });
        if (this.stops.get(a) === ctl) this.stops.delete(a);
      }
      if (signal.aborted) {
        const last = ran[ran.length - 1];
        renderState(b.out, "error", last ? `Stopped while block ${last.block.index + 1} ran first.` : "Stopped before it ran.");
        return;
      }
      renderState(b.out, "running", "Running…");
      const r = await session.run(b.text(), { signal });
      renderResult(b.out, r, b.on, api);
      const notes = this.notes(p, ran, why);
      if (notes.length) b.out.prepend(...notes);
      this.hooks.onResult(b, r);
    } catch (err) {
      renderState(b.out, "error", `The emulator failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      b.busy(false);
    }
  }

  /** Asks the session what b and the blocks above it lack, and plans from that. */
  private async lacking(session: Session, b: LiveBlock, signal: AbortSignal): Promise<Plan> {
    if (!label(b.needs()).length) return { pre: [], gives: new Map(), missing: [] };
    const all: Names = { vars: [], files: [] };
    for (const a of this.blocks) {
      if (a.index > b.index || a.on !== b.on) continue;
      const n = a.needs();
      all.vars.push(...n.vars.filter((v) => !all.vars.includes(v)));
      all.files.push(...n.files.filter((f) => !all.files.includes(f)));
    }
    const r = await session.run(checkScript(all), { signal });
    const lacks = new Set<string>();
    for (const line of r.stdout.split("\n")) {
      const [kind, name] = line.split(" ");
      if (kind === "var" && name) lacks.add(`$${name}`);
      else if (kind === "file" && name) lacks.add(name);
    }
    return plan(this.blocks, b, lacks);
  }

  /** Runs a block as a prerequisite: its output in its own panel; resolves to its exit status. */
  private async exec(api: ImdsAPI, session: Session, a: LiveBlock, signal: AbortSignal): Promise<number | null> {
    a.busy(true);
    renderState(a.out, "running", "Running…");
    try {
      const r = await session.run(a.text(), { signal });
      renderResult(a.out, r, a.on, api);
      this.hooks.onResult(a, r);
      return r.exit;
    } catch (err) {
      renderState(a.out, "error", `The emulator failed: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    } finally {
      a.busy(false);
    }
  }

  /** The lines above b's output: what ran first and why, what nothing above provides. */
  private notes(p: Plan, ran: { block: LiveBlock; exit: number | null }[], why: string): HTMLElement[] {
    const out: HTMLElement[] = [];
    if (ran.length) {
      const what = list([...new Set(ran.flatMap((x) => p.gives.get(x.block) ?? []))]);
      const failed = ran.filter((x) => x.exit !== 0);
      const text =
        `Ran ${ran.length === 1 ? "block" : "blocks"} ${list(ran.map((x) => String(x.block.index + 1)))} first` +
        (what ? ` ${why} ${what}.` : ".") +
        failed.map((x) => ` Block ${x.block.index + 1} ${x.exit === null ? "could not run" : `exited with ${x.exit}`}.`).join("");
      out.push(el("p", { class: "hint prereq-note", testid: "prereq-note" }, text));
    }
    const vars = p.missing.filter((x) => x.startsWith("$"));
    const files = p.missing.filter((x) => !x.startsWith("$"));
    const one = (n: number, a: string, b: string) => (n === 1 ? a : b);
    if (vars.length) {
      out.push(
        el(
          "p",
          { class: "hint", testid: "unset-note" },
          `${list(vars)} ${one(vars.length, "is", "are")} not set in this shell, and no block above this one on this page sets ${one(vars.length, "it", "them")}.`,
        ),
      );
    }
    if (files.length) {
      out.push(
        el(
          "p",
          { class: "hint", testid: "unset-note" },
          `${list(files)} ${one(files.length, "does", "do")} not exist here, and no block above this one on this page writes ${one(files.length, "it", "them")}.`,
        ),
      );
    }
    return out;
  }
}
