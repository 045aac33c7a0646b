/** A person's enrolled photos and best sightings; operators add photos (several at once) and remove them. */
import { useState } from "preact/hooks";
import { api, can, type Face, type Me, type PersonDetail } from "../api.ts";
import { useCameraName } from "../cameras.ts";
import type { useNotice } from "../components.tsx";
import { ActionButton, Crop, Empty, Time } from "../components.tsx";
import { percent, plural } from "../format.ts";
import { SightingThumb } from "../sighting/thumb.tsx";
import { enrolPhotos, outcomeText } from "./enrol.ts";

type Notice = ReturnType<typeof useNotice>;

export function Photos({ p, me, onChange, notice }: { p: PersonDetail; me: Me; onChange: () => void; notice: Notice }) {
  const operator = can(me, "operator");
  const camera = useCameraName();
  const enrolled = p.faces.filter((f) => f.source === "enrol");
  const learned = p.faces.filter((f) => f.source === "sighting").sort((a, b) => b.quality - a.quality);
  const [busy, setBusy] = useState("");

  const add = async (files: File[]) => {
    setBusy(`Adding ${plural(files.length, "photo")}…`);
    const out = await enrolPhotos(p.id, files, () => {});
    setBusy("");
    const refused = out.flatMap((o, i) => (o.state === "refused" ? [`${files[i].name}: ${outcomeText(o)}`] : []));
    const added = out.length - refused.length;
    if (refused.length)
      notice.fail(new Error(`${added ? `Added ${plural(added, "photo")}; ` : ""}${refused.join("; ")}`));
    else notice.ok(`Added ${plural(added, "photo")}.`);
    if (added) onChange();
  };

  const face = (f: Face) => (
    <figure key={f.id} class="face" data-face={f.id}>
      {f.sightingId ? (
        <SightingThumb id={f.sightingId} faceUrl={f.imageUrl} size={96} what={`best sighting ${f.id}`} />
      ) : (
        <Crop src={f.imageUrl} alt={`enrolled photo ${f.id}`} size={96} />
      )}
      <figcaption class="small muted">
        quality {percent(f.quality)}
        {f.camera ? ` · ${camera(f.camera)}` : ""}
        <br />
        <Time iso={f.createdAt} />
      </figcaption>
      {operator && (
        <ActionButton
          class="small danger"
          confirm="Remove this photo? It stops being used to recognize the person."
          run={async () => {
            await api("DELETE", `/api/v1/persons/${p.id}/faces/${f.id}`);
            notice.ok("Photo removed.");
            onChange();
          }}
        >
          Remove
        </ActionButton>
      )}
    </figure>
  );
  return (
    <section class="photos" aria-labelledby="photos-title">
      <h2 id="photos-title">Enrolled photos</h2>
      <div class="faces">
        {enrolled.length ? enrolled.map(face) : <Empty>No enrolled photo.</Empty>}
        {operator && (
          <label class="add-photo">
            <input
              type="file"
              name="enrol"
              multiple
              accept="image/jpeg,image/png,image/webp"
              onChange={(e) => {
                const files = [...(e.currentTarget.files ?? [])];
                e.currentTarget.value = "";
                if (files.length) void add(files);
              }}
            />
            {busy || "+ Add photos"}
          </label>
        )}
      </div>
      <h2>Best sightings</h2>
      <p class="muted small">The clearest faces cameras recorded; the server also uses them to recognize the person.</p>
      <div class="faces">{learned.length ? learned.map(face) : <Empty>None yet.</Empty>}</div>
    </section>
  );
}
