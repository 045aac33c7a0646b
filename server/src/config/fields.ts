/** Field builders of the settings schema. Environment variables and command-line flags arrive as strings: numbers and booleans are coerced. */
import { z } from "zod";

/** The MQTT protocol's own limit: a remaining length of at most 268,435,455 bytes. */
export const MQTT_MAX_PACKET = 268_435_460;

export const int = (min: number, max?: number) => {
  const n = z.coerce.number().int().min(min);
  return max === undefined ? n : n.max(max);
};
export const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
export const bool = (dflt: boolean) =>
  z.preprocess(
    (v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v),
    z.boolean().default(dflt),
  );
