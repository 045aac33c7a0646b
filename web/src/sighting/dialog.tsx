/**
 * The sighting detail as a modal dialog over any page (the native <dialog>: focus moves into it,
 * Escape closes it, the page behind is inert), and as a page of its own at /sightings/:id.
 */
import { useEffect, useRef } from "preact/hooks";
import type { Me } from "../api.ts";
import { useLocation } from "../router.tsx";
import { SightingDetail } from "./detail.tsx";
import { closeSighting, useOpenSighting } from "./open.ts";

export function SightingDialogHost({ me }: { me: Me }) {
  const open = useOpenSighting();
  const ref = useRef<HTMLDialogElement>(null);
  const loc = useLocation();
  const where = `${loc.path}?${loc.query}`;
  const shownAt = useRef(where);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      shownAt.current = where;
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);
  // A link in the dialog (the person, the permalink) changes the page: the dialog closes with it.
  useEffect(() => {
    if (open && where !== shownAt.current) closeSighting(false);
  }, [where]);

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop is a mouse convenience; the keyboard has Escape (native)
    <dialog
      ref={ref}
      class="sighting-dialog"
      aria-labelledby="sd-title"
      onClose={() => closeSighting()}
      onClick={(e) => {
        if (e.target === ref.current) ref.current?.close(); // a click on the backdrop
      }}
    >
      {open && (
        <SightingDetail
          key={open.id}
          id={open.id}
          initial={open.sighting}
          me={me}
          titleId="sd-title"
          onClose={() => ref.current?.close()}
        />
      )}
    </dialog>
  );
}

export function SightingPage({ me, id }: { me: Me; id: string }) {
  return (
    <div class="sighting-page">
      <h1 class="sr-only">Sighting</h1>
      <SightingDetail id={id} me={me} />
    </div>
  );
}
