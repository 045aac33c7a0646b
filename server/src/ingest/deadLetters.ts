/**
 * Dead letters: refused MQTT messages kept for diagnosis, bounded so that one agent cannot fill the
 * disk with them. A dead letter keeps only the first `payloadBytes` of its payload; each agent may
 * store `perAgentPerMinute` (after a `burst`) and the rest are counted and logged once a minute, not
 * stored; the store holds at most `maxCount` dead letters and `maxBytes`, the oldest going first; the
 * retention job removes them after `retentionDays`. Valid events never pass through here.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "@argus/shared";
import type { Config } from "../config/config.ts";
import type { DeadLetter } from "../domain/types.ts";
import type { ServerMetrics } from "../ops/metrics.ts";
import { type DeadLetterStats, deadLetterBytes, type Store } from "../store/types.ts";

/** Longest error text kept (zod messages of a very broken event can run long). */
const MAX_ERROR_CHARS = 2000;
/** Agents tracked by the rate limiter; beyond it, idle (full) buckets are forgotten. */
const MAX_TRACKED = 10_000;

/** At most one log line per key and period; says how many were suppressed meanwhile. */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly periodMs = 60_000) {}

  /** Calls log(suppressed) if this key has not logged within the period; else counts. */
  run(key: string, now: number, log: (suppressed: number) => void): void {
    const s = this.last.get(key);
    if (s && now - s.at < this.periodMs) {
      s.suppressed++;
      return;
    }
    if (this.last.size >= MAX_TRACKED) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    log(s?.suppressed ?? 0);
  }
}

/** One token bucket per key: `burst` tokens, refilled at `perMinute`. */
export class KeyedRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
  ) {}

  take(key: string, now: number): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_TRACKED) this.forgetIdle(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  private forgetIdle(now: number): void {
    const full = (60_000 * this.burst) / this.perMinute;
    for (const [k, b] of this.buckets) if (now - b.at >= full) this.buckets.delete(k);
    if (this.buckets.size >= MAX_TRACKED) this.buckets.clear();
  }
}

/**
 * Time-ordered ids (UUID version 7: milliseconds, then a counter within the millisecond): the store
 * orders dead letters by (receivedAt, id), so the oldest go first even within one millisecond.
 */
export class TimeOrderedIds {
  private lastMs = 0;
  private seq = 0;

  next(ms: number): string {
    if (ms > this.lastMs) {
      this.lastMs = ms;
      this.seq = 0;
    } else if (++this.seq > 0xfff) {
      this.lastMs++;
      this.seq = 0;
    }
    const t = this.lastMs.toString(16).padStart(12, "0");
    const r = randomBytes(8).toString("hex");
    const variant = ((Number.parseInt(r[0], 16) & 3) | 8).toString(16);
    return `${t.slice(0, 8)}-${t.slice(8)}-7${this.seq.toString(16).padStart(3, "0")}-${variant}${r.slice(1, 4)}-${r.slice(4)}`;
  }
}

/** The agent a topic belongs to (`<prefix>/v1/agents/<id>/...`), for the per-agent rate. */
export function topicAgent(topic: string, prefix: string): string {
  const root = `${prefix}/v1/agents/`;
  if (!topic.startsWith(root)) return "(other topics)";
  return topic.slice(root.length).split("/", 1)[0] || "(other topics)";
}

export class DeadLetterKeeper {
  private readonly rate: KeyedRate;
  private readonly overRate = new LogThrottle();
  private readonly ids = new TimeOrderedIds();
  private totals: DeadLetterStats | undefined;

  constructor(
    private readonly d: {
      store: Store;
      config: Config["deadLetters"];
      prefix: string;
      metrics: ServerMetrics;
      log: Logger;
    },
  ) {
    this.rate = new KeyedRate(d.config.perAgentPerMinute, d.config.burst);
  }

  /**
   * Counts a refused message and returns the dead letter to store, or undefined when its agent is
   * over the rate (counted as dropped, logged once a minute per agent).
   */
  make(topic: string, payload: Buffer, receivedAt: number, error: string): DeadLetter | undefined {
    const { metrics, log, config } = this.d;
    const reason = /^[A-Z_]+/.exec(error)?.[0] ?? "OTHER";
    metrics.deadLetters.inc({ reason });
    const agentId = topicAgent(topic, this.d.prefix);
    if (!this.rate.take(agentId, receivedAt)) {
      metrics.deadLettersDropped.inc({ cause: "rate_limit" });
      this.overRate.run(agentId, receivedAt, (suppressed) =>
        log.warn(
          { agentId, reason, droppedSinceLastLog: suppressed + 1, perMinute: config.perAgentPerMinute },
          "dead letters over the per-agent rate: counted, not stored",
        ),
      );
      return undefined;
    }
    log.warn(
      { agentId, topic, error: error.slice(0, 500), bytes: payload.length },
      "refused message kept as a dead letter",
    );
    return {
      id: this.ids.next(receivedAt),
      receivedAt,
      topic: topic.slice(0, 1024),
      error: error.slice(0, MAX_ERROR_CHARS),
      // A copy: a subarray would keep the whole received payload alive in memory.
      payload: Buffer.from(payload.subarray(0, config.payloadBytes)),
      size: payload.length,
    };
  }

  /** Stores one dead letter (if not over the rate) and keeps the caps. */
  async keep(topic: string, payload: Buffer, receivedAt: number, error: string): Promise<void> {
    const dl = this.make(topic, payload, receivedAt, error);
    if (!dl) return;
    await this.d.store.deadLetters.add(dl);
    await this.added([dl]);
  }

  /**
   * After dead letters were added: trims the oldest when the caps are exceeded, down to 90% of them
   * so that a steady stream does not trim on every message.
   */
  async added(dls: DeadLetter[]): Promise<void> {
    if (!dls.length) return;
    const { store, config, metrics, log } = this.d;
    if (!this.totals)
      this.totals = await store.deadLetters.stats(); // counts these already
    else {
      this.totals.count += dls.length;
      for (const dl of dls) this.totals.bytes += deadLetterBytes(dl);
    }
    if (this.totals.count <= config.maxCount && this.totals.bytes <= config.maxBytes) return;
    const removed = await store.deadLetters.trim(
      Math.max(1, Math.floor(config.maxCount * 0.9)),
      Math.floor(config.maxBytes * 0.9),
    );
    this.totals = await store.deadLetters.stats();
    metrics.deadLettersDropped.inc({ cause: "cap" }, removed);
    log.warn(
      {
        removed,
        kept: this.totals.count,
        bytes: this.totals.bytes,
        maxCount: config.maxCount,
        maxBytes: config.maxBytes,
      },
      "dead-letter store over its cap: the oldest were removed",
    );
  }
}
