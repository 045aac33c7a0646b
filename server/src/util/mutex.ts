/** A FIFO async mutex: ingestion batches and gallery-changing API calls run one at a time. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  get queued(): number {
    return this.waiting;
  }

  /** Runs `f` alone; rejects with a TimeoutError if the lock is not had within `timeoutMs`. */
  async run<T>(f: () => Promise<T>, timeoutMs?: number): Promise<T> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => mine);
    this.waiting++;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      if (timeoutMs === undefined) await prev;
      else
        await Promise.race([
          prev,
          new Promise<never>((_, rej) => {
            timer = setTimeout(() => {
              timedOut = true;
              rej(new TimeoutError(`busy: could not start within ${timeoutMs} ms`));
            }, timeoutMs);
          }),
        ]);
    } catch (e) {
      // Give the slot back in order once the previous holder is done.
      if (timedOut) prev.then(release, release);
      this.waiting--;
      throw e;
    } finally {
      clearTimeout(timer);
    }
    this.waiting--;
    try {
      return await f();
    } finally {
      release();
    }
  }
}

export class TimeoutError extends Error {}
