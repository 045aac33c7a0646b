/**
 * Acknowledging several alerts: the API acknowledges one alert per call, so a selection is sent as
 * calls, four at a time; the ones that failed are reported with the server's reason.
 */
import { type Alert, api } from "../api.ts";
import { plural } from "../format.ts";

export async function ackAlerts(ids: string[]): Promise<Alert[]> {
  const done: Alert[] = [];
  const failed: string[] = [];
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      try {
        done.push(await api<Alert>("POST", `/api/v1/alerts/${encodeURIComponent(id)}/ack`));
      } catch (e) {
        failed.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  if (failed.length)
    throw Object.assign(
      new Error(`${plural(failed.length, "alert")} of ${ids.length} could not be acknowledged: ${failed[0]}`),
      { done },
    );
  return done;
}
