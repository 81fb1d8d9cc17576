// Countdowns (a token's time left), which share one timer. A node is updated while it is in the
// document and dropped once it has left it (or when it never arrives): a countdown made for an
// output that a later run replaces, or for a page the reader navigated away from, stops by
// itself. The time they count in is the emulator's (imds.now(), which the page's client serves
// from the offset the engine's worker pushed after its latest change: no call per tick).

/** One registered countdown. */
interface Tick {
  node: HTMLElement;
  render(): void;
  /** Whether the node has been in the document. */
  seen: boolean;
  /** Ticks spent waiting for the node to arrive. */
  waited: number;
}

/** Ticks a node may wait to be put in the document before its countdown is dropped. */
const MAX_WAIT = 5;

const ticks = new Set<Tick>();
let timer: ReturnType<typeof setInterval> | undefined;

/** Updates every countdown once; drops those whose node left the document. */
function tickAll(): void {
  for (const t of ticks) {
    if (t.node.isConnected) {
      t.seen = true;
      t.render();
    } else if (t.seen || ++t.waited > MAX_WAIT) {
      ticks.delete(t);
    }
  }
  if (ticks.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * Renders node now and then every second while it is in the document. render writes the
 * node's text; it is called first at once, so the node is right before it is even shown.
 */
export function everySecond(node: HTMLElement, render: () => void): void {
  render();
  ticks.add({ node, render, seen: node.isConnected, waited: 0 });
  timer ??= setInterval(tickAll, 1000);
}
