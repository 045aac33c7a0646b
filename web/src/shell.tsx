/**
 * The console's frame: the header with the navigation (a compact menu on phones, so that it never
 * wraps to several rows), the stream's state, and a banner that cannot be missed when the server has
 * been unreachable for more than a few seconds.
 */
import { useEffect, useState } from "preact/hooks";
import { can, type Me } from "./api.ts";
import { Time } from "./components.tsx";
import { Link, useLocation } from "./router.tsx";
import { reconnectStream, streamDownSince, useStreamStatus } from "./stream.ts";

const NAV: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: "/", label: "Live" },
  { href: "/sightings", label: "Sightings" },
  { href: "/search", label: "Search" },
  { href: "/unknown", label: "Unknown persons" },
  { href: "/alerts", label: "Alerts" },
  { href: "/cameras", label: "Cameras" },
  { href: "/admin/users", label: "Admin", admin: true },
];

const active = (href: string, path: string) =>
  href === "/"
    ? path === "/" || path === "/live"
    : href === "/admin/users"
      ? path.startsWith("/admin") || path === "/users"
      : href === "/search"
        ? path === "/search" || path.startsWith("/persons")
        : path === href || path.startsWith(`${href}/`);

export function Header({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const loc = useLocation();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [loc.path, loc.query.toString()]);
  const who = (
    <>
      <Link href="/account" title="Your account" class="me-link">
        {me.name}
      </Link>{" "}
      <span class={`role ${me.role}`}>{me.role}</span>
      <button type="button" class="link" onClick={onSignOut}>
        Sign out
      </button>
    </>
  );
  return (
    <header class="top">
      <Link href="/" class="brand" aria-label="Argus: live view">
        Argus
      </Link>
      <nav class="main-nav" aria-label="Main">
        <button
          type="button"
          class="menu-btn"
          aria-expanded={open}
          aria-controls="nav-list"
          onClick={() => setOpen(!open)}
          onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
        >
          <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false" class="icon">
            <rect x="1" y="3" width="14" height="2" />
            <rect x="1" y="7" width="14" height="2" />
            <rect x="1" y="11" width="14" height="2" />
          </svg>
          Menu
        </button>
        <ul id="nav-list" class={open ? "open" : ""} onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
          {NAV.filter((n) => !n.admin || can(me, "admin")).map((n) => (
            <li key={n.href}>
              <Link
                href={n.href}
                class={active(n.href, loc.path) ? "active" : undefined}
                aria-current={active(n.href, loc.path) ? "page" : undefined}
              >
                {n.label}
              </Link>
            </li>
          ))}
          <li class="who in-menu">{who}</li>
        </ul>
      </nav>
      <StreamDot />
      <span class="who in-header">{who}</span>
    </header>
  );
}

function StreamDot() {
  const s = useStreamStatus();
  const label = s === "live" ? "Live" : s === "reconnecting" ? "Reconnecting…" : "Connecting…";
  return (
    <span class={`stream ${s}`} title="Event stream from the server" data-stream={s}>
      <span aria-hidden="true">●</span> {label}
    </span>
  );
}

/** After this long without the stream, the outage gets a banner (short blips only show in the dot). */
export const OUTAGE_AFTER_MS = 5000;

export function OutageBanner() {
  const status = useStreamStatus();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (status === "live") return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [status]);
  const since = streamDownSince();
  if (status === "live" || since === null || now - since < OUTAGE_AFTER_MS) return null;
  return (
    <div class="outage" role="alert" data-testid="outage">
      <strong>No connection to the server</strong>
      <span>
        since <Time iso={new Date(since).toISOString()} />. Live sightings and alerts are not arriving; the console
        keeps trying to reconnect. Check the network or the server.
      </span>
      <button type="button" onClick={reconnectStream}>
        Retry now
      </button>
    </div>
  );
}
