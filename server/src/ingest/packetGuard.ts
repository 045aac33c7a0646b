/**
 * MQTT packet size limit for the embedded broker. aedes 1.x has none, and its parser (mqtt-packet)
 * buffers a packet whole before handing it over: one 200 MB PUBLISH costs 200 MB+ of memory and is
 * acknowledged. The guard sits between the socket and aedes and reads only the fixed headers (type
 * byte + remaining length, skipping bodies without copying): as soon as a packet announces more than
 * the limit, the connection is closed, before its body is read. MQTT 3.1.1 has no other way to refuse
 * a packet (no reason codes); an honest agent never sends one (its events are schema-bounded).
 */
import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/** The first packet is CONNECT, read before any login: a few hundred bytes (will included). */
export const MAX_CONNECT_BYTES = 64 * 1024;

/** Incremental reader of MQTT fixed headers over a byte stream. */
export class FrameScanner {
  private skip = 0;
  private inLength = false;
  private length = 0;
  private mul = 1;
  private lengthBytes = 0;
  /** Packets whose header was read. */
  packets = 0;

  /** `limit(n)`: the largest total size of the n-th packet (0-based). */
  constructor(private readonly limit: (n: number) => number) {}

  /** Reads a chunk; returns the announced total size of a packet over its limit, or 0. */
  feed(b: Uint8Array): number {
    let i = 0;
    while (i < b.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, b.length - i);
        this.skip -= n;
        i += n;
      } else if (!this.inLength) {
        i++; // type and flags
        this.inLength = true;
        this.length = 0;
        this.mul = 1;
        this.lengthBytes = 0;
      } else {
        const byte = b[i++];
        this.length += (byte & 0x7f) * this.mul;
        this.mul *= 128;
        this.lengthBytes++;
        if (byte & 0x80) {
          // A fifth length byte is malformed (more than the protocol's 256 MB): refuse it as too large.
          if (this.lengthBytes === 4) return Number.MAX_SAFE_INTEGER;
          continue;
        }
        const total = 1 + this.lengthBytes + this.length;
        if (total > this.limit(this.packets)) return total;
        this.packets++;
        this.skip = this.length;
        this.inLength = false;
      }
    }
    return 0;
  }
}

/**
 * The socket as aedes sees it, minus packets over `maxBytes` (and a first packet over
 * MAX_CONNECT_BYTES): on one, `onRefused(size)` is called and the connection is destroyed.
 */
export function guardSocket(socket: Socket, maxBytes: number, onRefused: (size: number, conn: Duplex) => void): Duplex {
  const scanner = new FrameScanner((n) => (n === 0 ? Math.min(maxBytes, MAX_CONNECT_BYTES) : maxBytes));
  const conn: Duplex = new Duplex({
    readableHighWaterMark: 256 * 1024,
    read() {
      socket.resume();
    },
    write(chunk, _enc, cb) {
      socket.write(chunk, cb);
    },
    // mqtt-packet corks the stream to send a packet's pieces together: keep them one TCP write.
    writev(chunks, cb) {
      socket.write(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on("data", (chunk: Buffer) => {
    const over = scanner.feed(chunk);
    if (over) {
      socket.pause();
      onRefused(over, conn);
      conn.destroy(new Error(`MQTT packet of ${over} bytes refused: more than ${maxBytes}`));
      return;
    }
    if (!conn.push(chunk)) socket.pause(); // aedes reads on; TCP backpressure meanwhile
  });
  socket.on("end", () => conn.push(null));
  socket.on("error", (e) => conn.destroy(e));
  socket.on("close", () => conn.destroy());
  socket.pause(); // until aedes reads
  return conn;
}
