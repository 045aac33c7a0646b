/** The console shell: who is signed in, the navigation, and which page a path shows. */
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, can, type Me, whenSignedOut } from "./api.ts";
import { ErrorBox, Loading } from "./components.tsx";
import { timeZone } from "./format.ts";
import { AccountPage } from "./pages/account.tsx";
import { AlertsPage } from "./pages/alerts.tsx";
import { CamerasPage } from "./pages/cameras.tsx";
import { LivePage } from "./pages/live.tsx";
import { SignInPage } from "./pages/login.tsx";
import { PersonPage } from "./pages/person.tsx";
import { SearchPage } from "./pages/search.tsx";
import { UnknownPage } from "./pages/unknown.tsx";
import { UsersPage } from "./pages/users.tsx";
import { Link, match, navigate, useLocation } from "./router.tsx";
import { closeStream, openStream, useStreamStatus, whenStreamLost } from "./stream.ts";

const NAV: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: "/", label: "Live" },
  { href: "/search", label: "Search" },
  { href: "/unknown", label: "Unknown persons" },
  { href: "/alerts", label: "Alerts" },
  { href: "/cameras", label: "Cameras" },
  { href: "/users", label: "Users", admin: true },
];

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const loc = useLocation();

  const loadMe = () => {
    setError(undefined);
    api<Me>("GET", "/api/v1/me").then(
      (m) => setMe(m),
      (e) => (e instanceof ApiError && e.status === 401 ? setMe(null) : setError(e)),
    );
  };
  useEffect(() => {
    whenSignedOut(() => {
      closeStream();
      setMe(null);
    });
    // A refused stream: a 401 here signs out (whenSignedOut); otherwise the server is back, reconnect.
    const recheck = () =>
      api("GET", "/api/v1/me").then(
        () => openStream(),
        (e) => !(e instanceof ApiError && e.status === 401) && setTimeout(recheck, 5000),
      );
    whenStreamLost(recheck);
    loadMe();
  }, []);
  useEffect(() => {
    if (me) openStream();
  }, [me]);

  if (error) return <ErrorBox error={error} retry={loadMe} />;
  if (me === undefined) return <Loading what="the console" />;
  if (me === null) return <SignInPage onSignedIn={setMe} />;

  const signOut = async () => {
    await api("DELETE", "/api/v1/session").catch(() => {});
    closeStream();
    setMe(null);
    navigate("/", true);
  };

  return (
    <div class="shell">
      <header class="top">
        <span class="brand">Argus</span>
        <nav>
          {NAV.filter((n) => !n.admin || can(me, "admin")).map((n) => (
            <Link
              key={n.href}
              href={n.href}
              class={(n.href === "/" ? loc.path === "/" : loc.path.startsWith(n.href)) ? "active" : undefined}
            >
              {n.label}
            </Link>
          ))}
        </nav>
        <StreamDot />
        <span class="who">
          <Link href="/account" title="Your account">
            {me.name}
          </Link>{" "}
          <span class={`role ${me.role}`}>{me.role}</span>
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Page me={me} path={loc.path} />
      </main>
      <footer class="foot">Times are shown in your time zone ({timeZone}).</footer>
    </div>
  );
}

function StreamDot() {
  const s = useStreamStatus();
  const label = s === "live" ? "Live" : s === "reconnecting" ? "Reconnecting…" : "Connecting…";
  return (
    <span class={`stream ${s}`} title="Event stream from the server" data-stream={s}>
      ● {label}
    </span>
  );
}

function Page({ me, path }: { me: Me; path: string }) {
  if (path === "/" || path === "/live") return <LivePage me={me} />;
  if (path === "/search") return <SearchPage />;
  if (path === "/unknown") return <UnknownPage me={me} />;
  if (path === "/alerts") return <AlertsPage me={me} />;
  if (path === "/cameras") return <CamerasPage me={me} />;
  if (path === "/account") return <AccountPage me={me} />;
  if (path === "/users")
    return can(me, "admin") ? <UsersPage me={me} /> : <ErrorBox error={new Error("Only admins manage users.")} />;
  const p = match("/persons/:id", path);
  if (p) return <PersonPage me={me} id={p.id} />;
  return <ErrorBox error={new Error(`There is no page at ${path}.`)} />;
}
