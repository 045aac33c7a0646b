/**
 * Optional sound and desktop notification when a foe alert arrives (off by default; the choice is
 * kept in this browser's localStorage). The sound is a short beep made with WebAudio: no asset.
 * Browsers let a page play sound only after a user gesture: the toggle is one, and after a reload
 * the first click anywhere on the page unlocks it again.
 */
import { useEffect, useState } from "preact/hooks";
import type { Alert } from "../api.ts";
import { subscribe } from "../stream.ts";

const KEY = "argus.foeAlerts";

export interface FoeAlertSettings {
  sound: boolean;
  desktop: boolean;
}

export function loadSettings(): FoeAlertSettings {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return { sound: v.sound === true, desktop: v.desktop === true };
  } catch {
    return { sound: false, desktop: false };
  }
}

const listeners = new Set<(s: FoeAlertSettings) => void>();
let settings = loadSettings();

export function saveSettings(s: FoeAlertSettings): void {
  settings = s;
  localStorage.setItem(KEY, JSON.stringify(s));
  for (const l of listeners) l(s);
  if (s.sound) unlockAudio();
}

export function useFoeAlertSettings(): FoeAlertSettings {
  const [s, set] = useState(settings);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return s;
}

let audio: AudioContext | undefined;
function unlockAudio(): void {
  audio ??= new AudioContext();
  if (audio.state === "suspended") void audio.resume();
}

/** Two short high tones (about 0.4 s): noticeable in a quiet control room, not alarming. */
export function beep(): boolean {
  if (audio?.state !== "running") return false;
  const t = audio.currentTime;
  for (const [start, freq] of [
    [0, 880],
    [0.22, 1175],
  ]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + start);
    gain.gain.exponentialRampToValueAtTime(0.25, t + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.18);
    osc.connect(gain).connect(audio.destination);
    osc.start(t + start);
    osc.stop(t + start + 0.2);
  }
  return true;
}

export type Announced = { alert: Alert; at: number; sound: boolean; desktop: boolean };
const announcedListeners = new Set<(a: Announced) => void>();
let lastAnnounced: Announced | undefined;

export function useLastAnnounced(): Announced | undefined {
  const [a, set] = useState(lastAnnounced);
  useEffect(() => {
    announcedListeners.add(set);
    return () => void announcedListeners.delete(set);
  }, []);
  return a;
}

/** Listens for foe alerts for the whole signed-in console (mounted once by the shell). */
export function startFoeAlertNotifier(describe: (a: Alert) => string): () => void {
  if (settings.sound) {
    // after a reload: the first user gesture unlocks the sound again
    const unlock = () => settings.sound && unlockAudio();
    window.addEventListener("pointerdown", unlock, { once: true });
    window.addEventListener("keydown", unlock, { once: true });
  }
  return subscribe("alert", (a) => {
    // A muted alert (a mute that includes foes: a camera under maintenance) is not announced.
    if (a.type !== "foe" || a.ackedAt || a.muted) return;
    const sound = settings.sound && beep();
    let desktop = false;
    if (settings.desktop && "Notification" in window && Notification.permission === "granted") {
      new Notification("FOE alert", { body: describe(a), tag: a.id });
      desktop = true;
    }
    if (!sound && !desktop) return;
    lastAnnounced = { alert: a, at: Date.now(), sound, desktop };
    for (const l of announcedListeners) l(lastAnnounced);
  });
}
