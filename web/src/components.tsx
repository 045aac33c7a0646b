/** Small pieces every page uses: states (loading, error, empty), crops, badges, times, paging. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type ListName, type PersonBrief } from "./api.ts";
import { ago, formatDateTime, formatShort, formatTime, personLabel } from "./format.ts";
import { Link } from "./router.tsx";
import { useStreamReset } from "./stream.ts";

export function Loading({ what }: { what: string }) {
  return (
    <p class="state loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const msg =
    error instanceof ApiError
      ? error.status === 403
        ? `Not allowed: ${error.message}`
        : error.message
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div class="state error" role="alert">
      <span>{msg}</span>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

/** A face crop from the API (the session cookie authorizes the image request). */
export function Crop({ src, alt, size = 72 }: { src: string | null | undefined; alt: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  if (!src || failed)
    return (
      <span class="crop missing" style={{ width: size, height: size }} title="no image">
        ?
      </span>
    );
  return (
    <img class="crop" src={src} alt={alt} width={size} height={size} loading="lazy" onError={() => setFailed(true)} />
  );
}

export function ListBadge({ list }: { list: ListName | null }) {
  if (!list) return <span class="badge none">no list</span>;
  return <span class={`badge ${list}`}>{list}</span>;
}

export function PersonLink({ person }: { person: PersonBrief | null | undefined }) {
  if (!person) return <span class="muted">{personLabel(person)}</span>;
  return (
    <Link href={`/persons/${person.id}`} class={person.list === "foe" ? "foe-name" : undefined}>
      {personLabel(person)}
    </Link>
  );
}

/** A time with its full form and how long ago in the tooltip; `short` for cards, `full` with the date always. */
export function Time({ iso, full, short }: { iso: string | null | undefined; full?: boolean; short?: boolean }) {
  if (!iso) return <span class="muted">never</span>;
  return (
    <time dateTime={iso} title={`${formatDateTime(iso)} (${ago(iso)})`}>
      {full ? formatDateTime(iso) : short ? formatShort(iso) : formatTime(iso)}
    </time>
  );
}

/**
 * Loads a value, with loading and error states and a reload function. `key` changes restart it.
 * A late answer for an old key is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, key: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...key, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  useStreamReset(reload); // events were missed for good: what was loaded may be stale
  /** Changes the loaded value (stream events); nothing before it has loaded. */
  const update = useCallback(
    (f: (data: T) => T) => setState((s) => (s.data === undefined ? s : { ...s, data: f(s.data) })),
    [],
  );
  return { ...state, reload, update };
}

/** A button that runs an action, disabled while it runs, showing its error next to it. */
export function ActionButton(props: {
  run: () => Promise<unknown>;
  children: ComponentChildren;
  class?: string;
  confirm?: string;
  disabled?: boolean;
  title?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <span class="action">
      <button
        type="button"
        class={props.class}
        title={props.title}
        disabled={busy || props.disabled}
        onClick={async () => {
          if (props.confirm && !window.confirm(props.confirm)) return;
          setBusy(true);
          setError(undefined);
          try {
            await props.run();
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? "…" : props.children}
      </button>
      {error !== undefined && (
        <span class="inline-error">{error instanceof Error ? error.message : String(error)}</span>
      )}
    </span>
  );
}

/** `f` at most once per `ms` (the last call wins): a busy site's stream must not turn into a request storm. */
export function useThrottled(f: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(f);
  latest.current = f;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}

/**
 * One result line for a page's actions: the last action's success or error. A later success replaces
 * an earlier error, so a stale error banner never stays on screen after the problem is solved.
 */
export function useNotice() {
  const [notice, setNotice] = useState<{ ok?: string; error?: unknown } | null>(null);
  return {
    notice,
    ok: useCallback((message: string) => setNotice({ ok: message }), []),
    fail: useCallback((error: unknown) => setNotice({ error }), []),
    clear: useCallback(() => setNotice(null), []),
    /** Runs an action: its error, or its success message, becomes the notice. */
    run: useCallback(async (f: () => Promise<unknown>, message?: string) => {
      try {
        await f();
        setNotice(message ? { ok: message } : null);
        return true;
      } catch (e) {
        setNotice({ error: e });
        return false;
      }
    }, []),
  };
}

export function Notice({ notice }: { notice: { ok?: string; error?: unknown } | null }) {
  if (!notice) return null;
  if (notice.error !== undefined) return <ErrorBox error={notice.error} />;
  return (
    <p class="state ok" role="status">
      {notice.ok}
    </p>
  );
}

/** "From" and "To" fields of a time-range filter (datetime-local values, local time). */
export function TimeRangeFields({
  value,
  onChange,
}: {
  value: { from: string; to: string };
  onChange: (range: { from: string; to: string }) => void;
}) {
  return (
    <>
      <label>
        From
        <input
          type="datetime-local"
          name="from"
          value={value.from}
          onInput={(e) => onChange({ from: e.currentTarget.value, to: value.to })}
        />
      </label>
      <label>
        To
        <input
          type="datetime-local"
          name="to"
          value={value.to}
          onInput={(e) => onChange({ from: value.from, to: e.currentTarget.value })}
        />
      </label>
    </>
  );
}

/** A loaded list: its error (with a retry), "loading", the empty message, or the items rendered. */
export function Listed<T>({
  list,
  what,
  empty,
  children,
}: {
  list: { data?: { items: T[] }; error?: unknown; reload: () => void };
  what: string;
  empty: ComponentChildren;
  children: (items: T[]) => ComponentChildren;
}) {
  if (list.error) return <ErrorBox error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading what={what} />;
  if (list.data.items.length === 0) return <Empty>{empty}</Empty>;
  return <>{children(list.data.items)}</>;
}
