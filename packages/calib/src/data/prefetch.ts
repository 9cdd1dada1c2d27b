// Running work ahead of its consumer: decoding the next samples while the model runs on this one.

/**
 * Yields `make(0)`, `make(1)`, ... `make(n - 1)` in order while up to `ahead` later ones already
 * run. A failure surfaces when its turn comes (not earlier, and never as an unhandled rejection);
 * work still running when the consumer stops is left to finish and dropped.
 */
export async function* prefetch<T>(n: number, make: (i: number) => Promise<T>, ahead: number): AsyncGenerator<T> {
  const pending: Promise<T>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < n && pending.length < ahead) {
      let p: Promise<T>;
      try {
        p = make(next++);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.catch(() => undefined); // observed when its turn comes
      pending.push(p);
    }
  };
  fill();
  while (pending.length > 0) {
    const p = pending.shift()!;
    fill();
    yield await p;
  }
}
