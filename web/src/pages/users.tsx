/** Users (admins): create accounts, change roles, reset passwords, disable or delete. */
import { useState } from "preact/hooks";
import { api, type Me, type ResponseOf, type Role, type User } from "../api.ts";
import { ActionButton, Empty, ErrorBox, Loading, Time, useLoad } from "../components.tsx";

export function UsersPage({ me }: { me: Me }) {
  const users = useLoad(() => api<ResponseOf<"listUsers">>("GET", "/api/v1/users"), []);
  return (
    <div class="users">
      <p class="muted">
        Viewers watch and search; operators also change persons, lists and cameras and acknowledge alerts; admins also
        manage users. Any change to a user signs them out everywhere.
      </p>
      <CreateUser onDone={users.reload} />
      {users.error ? (
        <ErrorBox error={users.error} retry={users.reload} />
      ) : !users.data ? (
        <Loading what="users" />
      ) : users.data.items.length === 0 ? (
        <Empty>No console users yet.</Empty>
      ) : (
        <table class="grid cards-on-phone">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>State</th>
              <th>Last sign-in</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.items.map((u) => (
              <UserRow key={u.id} u={u} me={me} onDone={users.reload} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function UserRow({ u, me, onDone }: { u: User; me: Me; onDone: () => void }) {
  const [error, setError] = useState<unknown>();
  const [setting, setSetting] = useState(false);
  const [password, setPassword] = useState("");
  /** Resolves when the change is saved; shows the server's message otherwise. */
  const patch = async (body: Record<string, unknown>) => {
    setError(undefined);
    try {
      await api("PATCH", `/api/v1/users/${u.id}`, body);
      onDone();
    } catch (e) {
      setError(e);
      throw e;
    }
  };
  const self = me.kind === "session" && me.id === u.id;
  return (
    <tr data-user={u.name}>
      <td data-label="User">
        <strong>{u.name}</strong>
        {self && <span class="muted small"> (you)</span>}
      </td>
      <td data-label="Role">
        <select
          aria-label={`Role of ${u.name}`}
          value={u.role}
          onChange={(e) => void patch({ role: e.currentTarget.value as Role }).catch(() => {})}
        >
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
          <option value="admin">admin</option>
        </select>
      </td>
      <td data-label="State">
        {u.disabled ? <span class="status bad">disabled</span> : <span class="status ok">active</span>}
      </td>
      <td data-label="Last sign-in">
        <Time iso={u.lastLoginAt} />
      </td>
      <td data-label="Actions" class="row">
        {setting ? (
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              void patch({ password }).then(
                () => setSetting(false),
                () => {},
              );
            }}
          >
            <input
              type="password"
              autoComplete="new-password"
              aria-label={`New password for ${u.name}`}
              placeholder="new password (10+)"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              required
            />
            <button type="submit">Save</button>
            <button type="button" class="link" onClick={() => setSetting(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <button
            type="button"
            onClick={() => {
              setPassword("");
              setSetting(true);
            }}
          >
            Set password
          </button>
        )}
        <ActionButton run={() => patch({ disabled: !u.disabled }).catch(() => {})}>
          {u.disabled ? "Enable" : "Disable"}
        </ActionButton>
        <ActionButton
          class="danger"
          confirm={`Delete the user ${u.name}? They are signed out at once.`}
          run={async () => {
            await api("DELETE", `/api/v1/users/${u.id}`);
            onDone();
          }}
        >
          Delete
        </ActionButton>
        {error !== undefined && <ErrorBox error={error} />}
      </td>
    </tr>
  );
}

function CreateUser({ onDone }: { onDone: () => void }) {
  const [form, setForm] = useState({ name: "", role: "viewer" as Role, password: "" });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="create-user row"
      aria-label="New user"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(undefined);
        try {
          await api("POST", "/api/v1/users", form);
          setForm({ name: "", role: "viewer", password: "" });
          onDone();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <input
        name="new-name"
        aria-label="User name"
        placeholder="user name"
        value={form.name}
        onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
        required
      />
      <select
        name="new-role"
        aria-label="Role"
        value={form.role}
        onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}
      >
        <option value="viewer">viewer</option>
        <option value="operator">operator</option>
        <option value="admin">admin</option>
      </select>
      <input
        name="new-password"
        aria-label="Password"
        type="password"
        autoComplete="new-password"
        placeholder="password (10+ characters)"
        value={form.password}
        onInput={(e) => setForm({ ...form, password: e.currentTarget.value })}
        required
      />
      <button type="submit" disabled={busy}>
        Add user
      </button>
      {error !== undefined && <ErrorBox error={error} />}
    </form>
  );
}
