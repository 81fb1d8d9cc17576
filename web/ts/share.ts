// Permalinks: Share writes the page's edited blocks and the instance's settings into the URL
// fragment (#imds=v2.…), which browsers never send to a server; opening such a link puts them
// back exactly. The codec is Go (package permalink, through imds.permalink): it validates
// what it reads and says what is wrong with a damaged link; links of format v1 still open.
//
// A block's Share makes a link that reproduces that block's run: the link names the block and
// the blocks above it that it needs (runner.ts plans them as for a fresh session), and carries
// the edits of exactly those blocks. Opening it does not run anything by itself: the page
// scrolls to the block and says that Run reproduces the run, which then runs the named blocks
// first and the block last. A link is someone else's code, and one click is the reader's
// consent to run it (a loop in it would otherwise start on arrival).

import type { ImdsAPI, Link, LinkScenario, State } from "./api";
import type { LiveBlock } from "./liveblock";
import { applyBlocks } from "./memory";
import { plan } from "./runner";

/** The fragment key of a shared link ("imds="), known before the engine loads. */
const KEY = "imds=";

/** The shared-link fragment of the current URL, or null when it has none. */
export function sharedFragment(hash: string = location.hash): string | null {
  const h = hash.replace(/^#/, "");
  return h.split("&").some((p) => p.startsWith(KEY)) ? h : null;
}

/** The scenario settings of a state, as a link carries them. */
export function scenarioOf(st: State): LinkScenario {
  const ms = st.instance.metadata_service;
  const dtp = st.instance.default_trusted_profile;
  return {
    enabled: ms.enabled,
    protocol: ms.protocol,
    hopLimit: ms.response_hop_limit,
    status: st.instance.status === "stopped" ? "stopped" : "running",
    hops: st.hops,
    defaultProfile: dtp.target?.id ?? "",
    autoLink: dtp.auto_link,
    linked: st.profiles.filter((p) => p.linked).map((p) => p.id),
    version: st.version,
  };
}

/** The link for the page as it stands. */
export function linkOf(api: ImdsAPI, slug: string, blocks: LiveBlock[]): Link {
  const link: Link = {
    blocks: blocks.filter((b) => b.edited()).map((b) => ({ i: b.index, h: b.hash, t: b.text() })),
  };
  if (slug) link.page = slug;
  const st = api.state();
  if (st) link.scenario = scenarioOf(st);
  return link;
}

/** The URL of the page with a link's payload. */
async function urlOf(api: ImdsAPI, link: Link): Promise<string> {
  const payload = await api.permalink.encode(link);
  return `${location.origin}${location.pathname}${location.search}#${api.permalink.key}${payload}`;
}

/** Encodes the page into a URL, puts it in the address bar and returns it. Rejects with a message for the reader. */
export async function share(api: ImdsAPI, slug: string, blocks: LiveBlock[]): Promise<string> {
  const url = await urlOf(api, linkOf(api, slug, blocks));
  // replaceState: the address bar shows the link without a new history entry or a scroll.
  history.replaceState(history.state, "", url);
  return url;
}

/**
 * The link that reproduces b's run: b after the blocks it needs, with their edits, and the
 * instance's settings. Rejects with a message for the reader.
 */
export async function shareRun(api: ImdsAPI, slug: string, blocks: LiveBlock[], b: LiveBlock): Promise<string> {
  const pre = plan(blocks, b).pre;
  const link = linkOf(api, slug, [...pre, b]);
  link.run = { i: b.index, h: b.hash };
  if (pre.length) link.run.pre = pre.map((p) => p.index);
  return urlOf(api, link);
}

/** What opening a link did. */
export interface Opened {
  applied: number;
  missed: number;
  otherPage: boolean;
  /** The run the link reproduces, when the page still has its blocks. */
  run: { block: LiveBlock; pre: LiveBlock[] } | null;
  /** Whether the link named a run that no longer matches the page. */
  runMissed: boolean;
}

/** The block a link names: at its index when the hash matches (or none was kept), else the one with that hash. */
function findBlock(blocks: LiveBlock[], i: number, h?: string): LiveBlock | undefined {
  const at = blocks.find((x) => x.index === i && (!h || x.hash === h));
  if (at || !h) return at;
  const same = blocks.filter((x) => x.hash === h);
  return same.length === 1 ? same[0] : undefined;
}

/**
 * Opens a shared link: its blocks go into the page's blocks, its scenario into the world. The
 * fragment is then removed from the address bar, so that a reload shows what memory has (the
 * reader's later edits) rather than the link again. Rejects with the codec's message.
 */
export async function openLink(api: ImdsAPI, fragment: string, slug: string, blocks: LiveBlock[]): Promise<Opened> {
  const link = await api.permalink.decode(fragment);
  const res = applyBlocks(blocks, link.blocks ?? []);
  if (link.scenario) await api.configure(link.scenario);
  history.replaceState(history.state, "", `${location.pathname}${location.search}`);
  let run: Opened["run"] = null;
  if (link.run) {
    const block = findBlock(blocks, link.run.i, link.run.h);
    const pre = (link.run.pre ?? []).map((i) => blocks.find((x) => x.index === i));
    if (block && pre.every((p) => p && p.index < block.index)) run = { block, pre: pre as LiveBlock[] };
  }
  return { ...res, otherPage: (link.page ?? "") !== slug, run, runMissed: !!link.run && !run };
}
