/** The console: who is signed in, the shell, and which page a path shows. */
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { AdminPage } from "./admin/index.tsx";
import { startFoeAlertNotifier } from "./alerts/notify.ts";
import { ApiError, api, can, type Me, whenSignedOut } from "./api.ts";
import { cameraKeyOf, cameraNameOf } from "./cameras.ts";
import { ErrorBox, Loading } from "./components.tsx";
import { personLabel, timeZone } from "./format.ts";
import { AccountPage } from "./pages/account.tsx";
import { AlertsPage } from "./pages/alerts.tsx";
import { BulkEnrolPage } from "./pages/bulk-enrol.tsx";
import { CamerasPage } from "./pages/cameras.tsx";
import { LivePage } from "./pages/live.tsx";
import { SignInPage } from "./pages/login.tsx";
import { NewPersonPage } from "./pages/new-person.tsx";
import { PersonPage } from "./pages/person.tsx";
import { SearchPage } from "./pages/search.tsx";
import { SightingsPage } from "./pages/sightings.tsx";
import { UnknownPage } from "./pages/unknown.tsx";
import { match, navigate, useLocation } from "./router.tsx";
import { Header, OutageBanner } from "./shell.tsx";
import { SightingDialogHost, SightingPage } from "./sighting/dialog.tsx";
import { closeStream, openStream, whenStreamLost } from "./stream.ts";

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
    if (!me) return;
    openStream();
    return startFoeAlertNotifier((a) => `${personLabel(a.person)} at ${cameraNameOf(cameraKeyOf(a))}`);
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
      <Header me={me} onSignOut={signOut} />
      <OutageBanner />
      <main>
        <Page me={me} path={loc.path} />
      </main>
      <footer class="foot">Times are shown in your time zone ({timeZone}).</footer>
      <SightingDialogHost me={me} />
    </div>
  );
}

const adminOnly = (me: Me, page: JSX.Element) =>
  can(me, "admin") ? page : <ErrorBox error={new Error("Only admins see the administration pages.")} />;

function Page({ me, path }: { me: Me; path: string }) {
  if (path === "/" || path === "/live") return <LivePage me={me} />;
  if (path === "/sightings") return <SightingsPage />;
  if (path === "/search") return <SearchPage me={me} />;
  if (path === "/unknown") return <UnknownPage me={me} />;
  if (path === "/alerts") return <AlertsPage me={me} />;
  if (path === "/cameras") return <CamerasPage me={me} />;
  if (path === "/account") return <AccountPage me={me} />;
  if (path === "/users" || path === "/admin") return adminOnly(me, <AdminPage me={me} tab="users" />);
  const admin = match("/admin/:tab", path);
  if (admin) return adminOnly(me, <AdminPage me={me} tab={admin.tab} />);
  if (path === "/persons/new")
    return can(me, "operator") ? (
      <NewPersonPage />
    ) : (
      <ErrorBox error={new Error("Only operators and admins add persons.")} />
    );
  if (path === "/persons/bulk")
    return can(me, "operator") ? (
      <BulkEnrolPage />
    ) : (
      <ErrorBox error={new Error("Only operators and admins enrol persons.")} />
    );
  const p = match("/persons/:id", path);
  if (p) return <PersonPage me={me} id={p.id} />;
  const s = match("/sightings/:id", path);
  if (s) return <SightingPage me={me} id={s.id} />;
  return <ErrorBox error={new Error(`There is no page at ${path}.`)} />;
}
