/** Administration (admins only): users, agents, integrations, API tokens, webhooks, dead letters, the audit log, duplicates and the server's settings, one tab each. */
import type { Me } from "../api.ts";
import { ErrorBox } from "../components.tsx";
import { UsersPage } from "../pages/users.tsx";
import { Link } from "../router.tsx";
import { AgentsAdmin } from "./agents.tsx";
import { AuditAdmin } from "./audit.tsx";
import { DeadLettersAdmin } from "./dead-letters.tsx";
import { DuplicatesAdmin } from "./duplicates.tsx";
import { IntegrationsAdmin } from "./integrations.tsx";
import { SettingsAdmin } from "./settings.tsx";
import { TokensAdmin } from "./tokens.tsx";
import { WebhooksAdmin } from "./webhooks.tsx";

export const ADMIN_TABS = [
  { tab: "users", label: "Users" },
  { tab: "agents", label: "Agents" },
  { tab: "integrations", label: "Integrations" },
  { tab: "tokens", label: "API tokens" },
  { tab: "webhooks", label: "Webhooks" },
  { tab: "dead-letters", label: "Dead letters" },
  { tab: "duplicates", label: "Duplicates" },
  { tab: "audit", label: "Audit log" },
  { tab: "settings", label: "Settings" },
] as const;

export function AdminPage({ me, tab }: { me: Me; tab: string }) {
  const current = ADMIN_TABS.find((t) => t.tab === tab);
  return (
    <div class="admin">
      <h1>Administration{current ? `: ${current.label}` : ""}</h1>
      <nav class="subnav" aria-label="Administration">
        {ADMIN_TABS.map((t) => (
          <Link key={t.tab} href={`/admin/${t.tab}`} aria-current={t.tab === tab ? "page" : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      {tab === "users" ? (
        <UsersPage me={me} />
      ) : tab === "agents" ? (
        <AgentsAdmin />
      ) : tab === "integrations" ? (
        <IntegrationsAdmin />
      ) : tab === "tokens" ? (
        <TokensAdmin />
      ) : tab === "webhooks" ? (
        <WebhooksAdmin />
      ) : tab === "dead-letters" ? (
        <DeadLettersAdmin />
      ) : tab === "duplicates" ? (
        <DuplicatesAdmin />
      ) : tab === "audit" ? (
        <AuditAdmin />
      ) : tab === "settings" ? (
        <SettingsAdmin />
      ) : (
        <ErrorBox error={new Error(`There is no administration page “${tab}”.`)} />
      )}
    </div>
  );
}
