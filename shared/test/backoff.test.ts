/** The one backoff: delays (pure) and the retry loop, with real timers at millisecond scale. */
import { describe, expect, it } from "vitest";
import { backoffDelay, retryForever } from "../src/util/backoff.ts";

describe("backoffDelay", () => {
  const o = { initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.2 };

  it("grows by the factor from the initial delay up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(o, a, () => 0.5))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });

  it("spreads by +-jitter and never exceeds the cap", () => {
    expect(backoffDelay(o, 2, () => 0)).toBe(1600);
    expect(backoffDelay(o, 2, () => 1)).toBe(2400);
    expect(backoffDelay(o, 9, () => 1)).toBe(30_000);
  });

  it("without jitter reproduces the server's doubling schedules (store retries, webhook redeliveries)", () => {
    const store = { initialDelayMs: 200, maxDelayMs: 10_000, factor: 2, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(store, a))).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000]);
    const webhook = { initialDelayMs: 1000, maxDelayMs: 3_600_000, factor: 2, jitter: 0 };
    expect([1, 4, 13].map((a) => backoffDelay(webhook, a))).toEqual([1000, 8000, 3_600_000]);
  });
});

describe("retryForever", () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 4, factor: 2, jitter: 0 };

  it("retries until the call succeeds, reporting each failure with its attempt and delay", async () => {
    let calls = 0;
    const seen: [string, number, number][] = [];
    const v = await retryForever(
      async () => {
        if (++calls < 4) throw new Error(`fail ${calls}`);
        return "done";
      },
      { backoff: fast, onError: (e, attempt, ms) => seen.push([(e as Error).message, attempt, ms]) },
    );
    expect(v).toBe("done");
    expect(seen).toEqual([
      ["fail 1", 1, 1],
      ["fail 2", 2, 2],
      ["fail 3", 3, 4],
    ]);
  });

  it("gives up with the last error once stopped", async () => {
    let stopped = false;
    let calls = 0;
    const p = retryForever(
      async () => {
        calls++;
        if (calls === 3) stopped = true;
        throw new Error(`fail ${calls}`);
      },
      { backoff: fast, stopped: () => stopped },
    );
    await expect(p).rejects.toThrow("fail 3");
    expect(calls).toBe(3);
  });
});
