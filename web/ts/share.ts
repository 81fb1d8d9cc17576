// Permalinks: Share writes the page's edited blocks and the instance's settings into the URL
// fragment (#imds=v1.…), which browsers never send to a server; opening such a link puts them
// back exactly. The codec is Go (package permalink, through imds.permalink): it validates
// what it reads and says what is wrong with a damaged link.

import type { ImdsAPI, Link, LinkScenario, State } from "./api";
import type { LiveBlock } from "./liveblock";
import { applyBlocks } from "./memory";

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

/** Encodes the page into a URL, puts it in the address bar and returns it. Rejects with a message for the reader. */
export async function share(api: ImdsAPI, slug: string, blocks: LiveBlock[]): Promise<string> {
  const payload = await api.permalink.encode(linkOf(api, slug, blocks));
  const url = `${location.origin}${location.pathname}${location.search}#${api.permalink.key}${payload}`;
  // replaceState: the address bar shows the link without a new history entry or a scroll.
  history.replaceState(history.state, "", url);
  return url;
}

/** What opening a link did. */
export interface Opened {
  applied: number;
  missed: number;
  otherPage: boolean;
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
  return { ...res, otherPage: (link.page ?? "") !== slug };
}
