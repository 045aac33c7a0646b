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
    <div class="signin">
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
        <p class="hint">
          First time? The server created the user <strong>admin</strong> on its first start; the password is in
          <code>&lt;data dir&gt;/admin-password</code>. Admins add more users on the Users page (or:
          <code>pnpm --silent run server create-user --data &lt;dir&gt; --name NAME --role viewer</code>).
        </p>
      </form>
    </div>
  );
}
