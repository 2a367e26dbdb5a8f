/**
 * Starting a child process holds the event loop (fork and exec are synchronous, and cost more the
 * larger the proxy's heap). Servers started together therefore take turns, one per event-loop turn:
 * what arrives from clients meanwhile (`initialize`, the first listing served from the catalog
 * cache) is answered between two starts rather than after the last one.
 */
let last: Promise<void> = Promise.resolve();

/** Resolves when it is the caller's turn to start a process. */
export function spawnTurn(): Promise<void> {
  const turn = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  last = turn;
  return turn;
}
