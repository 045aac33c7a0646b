/**
 * Where a webhook may point, and the one HTTP client that delivers to it. A webhook is refused when
 * its host is or resolves to an internal address (loopback, private, link-local such as the cloud
 * metadata service 169.254.169.254, carrier-grade NAT, multicast, reserved), unless the server's
 * `alerts.webhookAllowHosts` names it: otherwise an admin token would be a way into the network the
 * server sits in. Checked when the webhook is created, and again at every delivery on the addresses
 * DNS gives then (the connection goes to the address that was checked), so a name re-pointed later
 * does not get through. Errors are reported in a few generic words: never an address or port.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";

/** Not globally routable (IANA special-purpose registries); IPv4-mapped IPv6 is matched as IPv4. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  INTERNAL.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const)
  INTERNAL.addSubnet(net, bits, "ipv6");

/** A webhook target refused, or a delivery that failed: `message` is safe to store and show. */
export class WebhookError extends Error {
  constructor(
    message: string,
    /** The underlying error code (ECONNREFUSED, ...) for the log; never an address. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const REFUSED = "refused: the host is an internal address (allow it in the server's alerts.webhookAllowHosts)";

export class WebhookTargets {
  private readonly hosts = new Set<string>();
  private readonly allowed = new BlockList();

  /** `allow`: host names, IP addresses or CIDR blocks (alerts.webhookAllowHosts). */
  constructor(allow: readonly string[]) {
    for (const raw of allow) {
      const entry = raw
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, "");
      const [addr, bits] = entry.split("/");
      const family = isIP(addr) === 6 ? "ipv6" : "ipv4";
      if (isIP(addr) && bits !== undefined) this.allowed.addSubnet(addr, Number(bits), family);
      else if (isIP(addr)) this.allowed.addAddress(addr, family);
      else this.hosts.add(entry);
    }
  }

  /** True when a connection to `address` must not be made. */
  refused(address: string): boolean {
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    return INTERNAL.check(address, family) && !this.allowed.check(address, family);
  }

  /**
   * Checks a webhook URL as it is created: an internal IP literal, or a name resolving to one, is
   * refused. A name that does not resolve now is accepted (DNS may be down); delivery checks again.
   */
  async check(url: string): Promise<void> {
    const u = new URL(url);
    const host = hostOf(u);
    if (this.hosts.has(host)) return;
    if (isIP(host)) {
      if (this.refused(host)) throw new WebhookError(REFUSED);
      return;
    }
    const addresses = await new Promise<LookupAddress[]>((resolve) =>
      dnsLookup(host, { all: true }, (err, a) => resolve(err ? [] : a)),
    );
    if (addresses.some((a) => this.refused(a.address))) throw new WebhookError(REFUSED);
  }

  /** net's lookup hook: resolves, and fails the connection when any address is refused. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 4);
      if (!addresses.length || addresses.some((a) => this.refused(a.address)))
        return callback(Object.assign(new Error(REFUSED), { code: "EREFUSEDADDRESS" }), "", 4);
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };

  /**
   * POSTs `body` to `url` and resolves with the status. Credentials in the URL become an
   * Authorization: Basic header (fetch refuses such URLs, and its error quoted them). No redirects
   * are followed: a 3xx is a failure, as a redirect could lead anywhere.
   */
  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
    const u = new URL(url);
    const host = hostOf(u);
    const trusted = this.hosts.has(host);
    if (!trusted && isIP(host) && this.refused(host)) throw new WebhookError(REFUSED, "EREFUSEDADDRESS");
    const h: Record<string, string> = { ...headers, "content-length": String(Buffer.byteLength(body)) };
    if (u.username || u.password)
      h.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
    u.username = "";
    u.password = "";
    const request = u.protocol === "https:" ? httpsRequest : httpRequest;
    try {
      return await new Promise<number>((resolve, reject) => {
        const req = request(
          u,
          {
            method: "POST",
            headers: h,
            signal: AbortSignal.timeout(timeoutMs),
            ...(trusted || isIP(host) ? {} : { lookup: this.lookup }),
          },
          (res: IncomingMessage) => {
            res.on("error", reject);
            res.on("end", () => resolve(res.statusCode ?? 0));
            res.resume(); // the answer's body is not needed
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    } catch (e) {
      throw deliveryError(e, timeoutMs);
    }
  }
}

/** The URL's host name, lower case, IPv6 without brackets. */
function hostOf(u: URL): string {
  return u.hostname.toLowerCase().replace(/^\[|\]$/g, "");
}

/** A few generic words for what went wrong; the code goes to the log only. */
function deliveryError(e: unknown, timeoutMs: number): WebhookError {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? err.name;
  if (code === "EREFUSEDADDRESS") return new WebhookError(REFUSED, code);
  if (err.name === "TimeoutError" || err.name === "AbortError" || code === "ABORT_ERR")
    return new WebhookError(`timed out after ${timeoutMs} ms`, code);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new WebhookError("the host name did not resolve", code);
  if (/^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(code ?? ""))
    return new WebhookError("TLS handshake failed", code);
  return new WebhookError("could not connect or the connection failed", code);
}
