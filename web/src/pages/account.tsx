/** The signed-in user's own account: role, and a password change. */
import { useState } from "preact/hooks";
import { api, type Me } from "../api.ts";
import { ErrorBox } from "../components.tsx";

export function AccountPage({ me }: { me: Me }) {
  const [form, setForm] = useState({ current: "", password: "", repeat: "" });
  const [state, setState] = useState<{ error?: unknown; done?: boolean }>({});
  return (
    <div class="account">
      <h1>{me.name}</h1>
      <p>
        Role: <span class={`role ${me.role}`}>{me.role}</span>
      </p>
      {me.kind !== "session" ? (
        <p class="muted">You are using an API token; it has no password.</p>
      ) : (
        <form
          class="stack"
          aria-label="Change password"
          onSubmit={async (e) => {
            e.preventDefault();
            if (form.password !== form.repeat) return setState({ error: new Error("The new passwords differ.") });
            try {
              await api("POST", "/api/v1/session/password", { current: form.current, password: form.password });
              setForm({ current: "", password: "", repeat: "" });
              setState({ done: true });
            } catch (err) {
              setState({ error: err });
            }
          }}
        >
          <h2>Change your password</h2>
          <label>
            Current password
            <input
              type="password"
              autoComplete="current-password"
              value={form.current}
              onInput={(e) => setForm({ ...form, current: e.currentTarget.value })}
              required
            />
          </label>
          <label>
            New password (10+ characters)
            <input
              type="password"
              autoComplete="new-password"
              value={form.password}
              onInput={(e) => setForm({ ...form, password: e.currentTarget.value })}
              required
            />
          </label>
          <label>
            Repeat the new password
            <input
              type="password"
              autoComplete="new-password"
              value={form.repeat}
              onInput={(e) => setForm({ ...form, repeat: e.currentTarget.value })}
              required
            />
          </label>
          <button type="submit">Change password</button>
          {state.error !== undefined && <ErrorBox error={state.error} />}
          {state.done && <p class="state ok">Password changed. Your other sessions were signed out.</p>}
        </form>
      )}
    </div>
  );
}
