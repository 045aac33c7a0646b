/**
 * rxjs operator: processes items one at a time with an async function while holding at most
 * `capacity` waiting items. When full, either the oldest waiting item is dropped (live sources:
 * a stale frame is worth nothing) or the source is paused until there is room (files: every frame
 * is analyzed). Memory stays bounded either way.
 *
 * `idle`: work that must not wait for the next item (tracks ending while a camera is down) runs on a
 * timer, and when `wake` emits, but only while no item waits or is processed, never at the same
 * time as an item, and its result is emitted in order with the items'.
 */
import { Observable, type OperatorFunction, type Subscription } from "rxjs";

export interface BoundedOptions<T, R> {
  capacity: number;
  overflow: "drop-oldest" | "pause";
  pause?(): void;
  resume?(): void;
  onDrop?(item: T): void;
  /** A failure of one item is reported here and processing goes on. */
  onError(e: unknown, item: T): void;
  /** Runs after the last item when the source completes; its result is emitted last. */
  onComplete?(): Promise<R | undefined> | R | undefined;
  idle?: {
    everyMs: number;
    /** Runs `run` now (if nothing is in progress), e.g. when the source reports it is down. */
    wake?: Observable<unknown>;
    run(): Promise<R | undefined> | R | undefined;
  };
}

export function boundedProcess<T, R>(fn: (item: T) => Promise<R>, o: BoundedOptions<T, R>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((sub) => {
      const queue: T[] = [];
      let busy = false;
      let sourceDone = false;
      let paused = false;
      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      let woken: Subscription | undefined;
      /** `wake` emitted while an item was in progress: run `idle` as soon as the items are done. */
      let wanted = false;
      const stopIdle = () => {
        clearInterval(timer);
        woken?.unsubscribe();
      };

      const finish = async () => {
        if (closed) return;
        closed = true;
        stopIdle();
        try {
          const last = await o.onComplete?.();
          if (last !== undefined) sub.next(last);
        } catch (e) {
          o.onError(e, undefined as T);
        }
        sub.complete();
      };

      const drain = async () => {
        if (busy) return;
        busy = true;
        while (queue.length > 0 && !closed) {
          const item = queue.shift()!;
          if (paused && queue.length < o.capacity) {
            paused = false;
            o.resume?.();
          }
          try {
            sub.next(await fn(item));
          } catch (e) {
            o.onError(e, item);
          }
        }
        busy = false;
        if (sourceDone) await finish();
        else if (wanted) void idle();
      };

      const idle = async () => {
        if (!o.idle || busy || closed || sourceDone || queue.length > 0) return;
        wanted = false;
        busy = true;
        try {
          const r = await o.idle.run();
          if (r !== undefined && !closed) sub.next(r);
        } catch (e) {
          o.onError(e, undefined as T);
        }
        busy = false;
        // Items that came meanwhile, or the source's end.
        if (queue.length > 0 || sourceDone) await drain();
      };
      if (o.idle) {
        timer = setInterval(() => void idle(), o.idle.everyMs);
        timer.unref();
        woken = o.idle.wake?.subscribe(() => {
          wanted = true;
          void idle();
        });
      }

      const s = source.subscribe({
        next: (item) => {
          queue.push(item);
          if (queue.length > o.capacity && o.overflow === "drop-oldest") o.onDrop?.(queue.shift()!);
          if (queue.length >= o.capacity && o.overflow === "pause" && !paused) {
            paused = true;
            o.pause?.();
          }
          void drain();
        },
        error: (e) => sub.error(e),
        complete: () => {
          sourceDone = true;
          if (!busy) void finish();
        },
      });
      return () => {
        closed = true;
        stopIdle();
        s.unsubscribe();
      };
    });
}
