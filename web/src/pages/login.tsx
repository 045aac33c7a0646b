/** Sign-in: a user name and password; the server sets the session cookie. */
import { useState } from "preact/hooks";
import { ApiError, api, type Me } from "../api.ts";

export function SignInPage({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await api("POST", "/api/v1/session", { name, password });
      onSignedIn(await api<Me>("GET", "/api/v1/me"));
    } catch (err) {
      setPassword("");
      setError(
        err instanceof ApiError && err.status === 401
          ? "Wrong user name or password (or the account is disabled)."
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Argus console</h1>
        <label>
          User name
          <input
            name="username"
            autoComplete="username"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        {error && (
          <p class="state error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <details class="hint">
          <summary>First time here?</summary>
          <p>
            On its first start the server creates the user <strong>admin</strong>; the password is in the file{" "}
            <code>&lt;data dir&gt;/admin-password</code>.
          </p>
          <p>Admins add more users on the Admin page, or on the server with:</p>
          <pre>pnpm --silent run server create-user --data &lt;dir&gt; --name NAME --role viewer</pre>
        </details>
      </form>
    </main>
  );
}
