/** The toggles for the foe alert sound and desktop notification (this browser only). */
import { useState } from "preact/hooks";
import { Time } from "../components.tsx";
import { personLabel } from "../format.ts";
import { saveSettings, useFoeAlertSettings, useLastAnnounced } from "./notify.ts";

export function FoeAlertToggles() {
  const s = useFoeAlertSettings();
  const last = useLastAnnounced();
  const [note, setNote] = useState("");
  const supported = typeof window !== "undefined" && "Notification" in window;
  return (
    <fieldset class="foe-toggles">
      <legend>New foe alerts on this computer</legend>
      <label>
        <input
          type="checkbox"
          name="foe-sound"
          checked={s.sound}
          onChange={(e) => saveSettings({ ...s, sound: e.currentTarget.checked })}
        />{" "}
        play a sound
      </label>
      <label>
        <input
          type="checkbox"
          name="foe-desktop"
          checked={s.desktop}
          disabled={!supported}
          onChange={async (e) => {
            const on = e.currentTarget.checked;
            setNote("");
            if (on && Notification.permission !== "granted") {
              const p = await Notification.requestPermission();
              if (p !== "granted") {
                setNote("The browser refused notifications for this site; allow them in its site settings.");
                saveSettings({ ...s, desktop: false });
                return;
              }
            }
            saveSettings({ ...s, desktop: on });
          }}
        />{" "}
        show a desktop notification
      </label>
      {note && (
        <span class="inline-error" role="status">
          {note}
        </span>
      )}
      {last && (
        <span class="muted small" data-testid="last-announced">
          Last announced: {personLabel(last.alert.person)} at <Time iso={new Date(last.at).toISOString()} />
          {last.sound ? " (sound)" : ""}
          {last.desktop ? " (notification)" : ""}
        </span>
      )}
    </fieldset>
  );
}
