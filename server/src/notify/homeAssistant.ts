/**
 * Home Assistant MQTT discovery (integrations.homeAssistant): entities that appear in Home Assistant
 * by themselves, on the embedded broker (Home Assistant logs in with an integration account) or on an
 * external one.
 *
 *   per camera          sensor "Last person seen"        state: the name; attributes: the JSON
 *                       binary_sensor "Foe present"      ON while a foe was seen there within
 *                                                        foeWindowSeconds, then OFF
 *   per listed person   sensor "Last seen at camera"     state: the camera's name; attributes: the JSON
 *   (friend/foe, the maxPersons most recently seen)
 *
 * Discovery configs go to `<discoveryPrefix>/<component>/<nodeId>/<object id>/config`, states to
 * `<prefix>/v1/ha/cameras/<agentId>/<cameraId>/{last_person,foe_present}` and
 * `<prefix>/v1/ha/persons/<personId>/last_seen`; all retained (QoS 1), so Home Assistant finds them
 * after its own restart, and published only when they change. Every entity's availability is the
 * server's `<prefix>/v1/server/status`. A person taken off the lists, merged or deleted has its
 * entity removed (an empty retained config). The state shapes are HaLastPersonStateSchema and
 * HaLastSeenStateSchema (shared/src/api/integrations.ts).
 */
import { type Logger, SERVER_OFFLINE, SERVER_ONLINE, topics } from "@argus/shared";
import type { Bus, BusEvents } from "../domain/bus.ts";
import { type Camera, type CameraKey, cameraKey, type Person, type Sighting } from "../domain/types.ts";
import type { PublishOptions } from "../ingest/broker.ts";
import type { Store } from "../store/types.ts";

export interface HomeAssistantSettings {
  discoveryPrefix: string;
  nodeId: string;
  foeWindowSeconds: number;
  maxPersons: number;
}

/**
 * An MQTT object id ([A-Za-z0-9_-]) from an id, one to one: every character outside [A-Za-z0-9-],
 * '_' included, becomes '_' and two hex digits per UTF-8 byte, so '__' never occurs and can join two ids.
 */
export function objectId(id: string): string {
  return id.replace(/[^A-Za-z0-9-]/gu, (c) =>
    [...Buffer.from(c, "utf8")].map((b) => `_${b.toString(16).padStart(2, "0")}`).join(""),
  );
}

const iso = (t: number) => new Date(t).toISOString();
const cameraName = (c: Pick<Camera, "agentId" | "id" | "name" | "configName">) =>
  c.name ?? c.configName ?? cameraKey(c.agentId, c.id);

export class HomeAssistant {
  private readonly t: ReturnType<typeof topics>;
  private readonly haRoot: string;
  /** Cameras with their entities, by key: the name their configs carry. */
  private readonly cameras = new Map<CameraKey, string>();
  /** Persons with an entity: what their config carries. */
  private readonly persons = new Map<string, { name: string; list: string }>();
  /** Last payload published per topic (publish on change only). */
  private readonly sent = new Map<string, string>();
  /** Newest sighting time published per camera's last_person and per person's last_seen. */
  private readonly newest = new Map<string, number>();
  /** The sighting each person's last_seen state shows (re-sent when its camera is renamed). */
  private readonly seen = new Map<string, Sighting>();
  private readonly foe = new Map<CameraKey, { until: number; timer: NodeJS.Timeout }>();
  /** Bus events and the initial load, one after another (states in the order things happened). */
  private chain: Promise<void> = Promise.resolve();
  private warnedCap = false;
  private stopped = false;
  private readonly handlers: { [K in keyof BusEvents]?: (...a: BusEvents[K]) => void } = {};

  constructor(
    private readonly o: {
      store: Store;
      bus: Bus;
      publish: (topic: string, payload: string, o?: PublishOptions) => Promise<void>;
      prefix: string;
      settings: HomeAssistantSettings;
      log: Logger;
      now?: () => number;
    },
  ) {
    this.t = topics(o.prefix);
    this.haRoot = this.t.haRoot();
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** Publishes every entity and its current state, then follows the bus. Call once MQTT is up. */
  start(): Promise<void> {
    this.enqueue(() => this.load());
    const on = <K extends keyof BusEvents>(k: K, f: (...a: BusEvents[K]) => Promise<void>) => {
      const h = (...a: BusEvents[K]) => this.enqueue(() => f(...a));
      this.handlers[k] = h as never;
      this.o.bus.on(k, h as never);
    };
    on("sighting", (e) => this.onSighting(e.sighting, e.person));
    on("person", (e) => this.onPerson(e));
    on("camera", (e) => this.camera(e.camera));
    return this.chain;
  }

  /** Stops following the bus and the foe timers (the availability topic says the rest). */
  stop(): void {
    this.stopped = true;
    for (const [k, h] of Object.entries(this.handlers)) this.o.bus.off(k as keyof BusEvents, h as never);
    for (const f of this.foe.values()) clearTimeout(f.timer);
    this.foe.clear();
  }

  /** Resolves when everything queued so far is published (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(f: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => (this.stopped ? undefined : f()))
      .catch((e) => this.o.log.error({ err: (e as Error).message }, "Home Assistant: not published"));
  }

  private async send(topic: string, payload: string): Promise<void> {
    if (this.sent.get(topic) === payload) return;
    this.sent.set(topic, payload);
    await this.o.publish(topic, payload, { qos: 1, retain: true }).catch((e) => {
      this.sent.delete(topic); // try again on the next change
      throw e;
    });
  }

  // ------------------------------------------------------------------ topics and configs

  cameraTopics(agentId: string, cameraId: string) {
    const base = `${this.haRoot}cameras/${agentId}/${cameraId}`;
    const id = `${objectId(agentId)}__${objectId(cameraId)}`;
    const d = this.o.settings;
    return {
      lastPerson: `${base}/last_person`,
      foePresent: `${base}/foe_present`,
      lastPersonConfig: `${d.discoveryPrefix}/sensor/${d.nodeId}/camera_${id}_last_person/config`,
      foePresentConfig: `${d.discoveryPrefix}/binary_sensor/${d.nodeId}/camera_${id}_foe_present/config`,
      id,
    };
  }

  personTopics(personId: string) {
    const d = this.o.settings;
    const id = objectId(personId);
    return {
      lastSeen: `${this.haRoot}persons/${personId}/last_seen`,
      lastSeenConfig: `${d.discoveryPrefix}/sensor/${d.nodeId}/person_${id}_last_seen/config`,
      id,
    };
  }

  private common(device: Record<string, unknown>) {
    return {
      availability_topic: this.t.serverStatus(),
      payload_available: SERVER_ONLINE,
      payload_not_available: SERVER_OFFLINE,
      device: { manufacturer: "Argus", ...device },
      origin: { name: "Argus" },
    };
  }

  private async camera(c: Pick<Camera, "agentId" | "id" | "name" | "configName">): Promise<void> {
    const key = cameraKey(c.agentId, c.id);
    const name = cameraName(c);
    if (this.cameras.get(key) === name) return;
    const first = !this.cameras.has(key);
    this.cameras.set(key, name);
    const ct = this.cameraTopics(c.agentId, c.id);
    const { nodeId } = this.o.settings;
    const device = { identifiers: [`${nodeId}_camera_${ct.id}`], name, model: `Camera ${key}` };
    await this.send(
      ct.lastPersonConfig,
      JSON.stringify({
        name: "Last person seen",
        unique_id: `${nodeId}_camera_${ct.id}_last_person`,
        state_topic: ct.lastPerson,
        value_template: "{{ value_json.name }}",
        json_attributes_topic: ct.lastPerson,
        icon: "mdi:account-eye",
        ...this.common(device),
      }),
    );
    await this.send(
      ct.foePresentConfig,
      JSON.stringify({
        name: "Foe present",
        unique_id: `${nodeId}_camera_${ct.id}_foe_present`,
        state_topic: ct.foePresent,
        payload_on: "ON",
        payload_off: "OFF",
        device_class: "occupancy",
        icon: "mdi:account-alert",
        ...this.common(device),
      }),
    );
    if (first && !this.foe.has(key)) await this.send(ct.foePresent, "OFF");
    else if (!first)
      for (const [personId, s] of this.seen)
        if (cameraKey(s.agentId, s.cameraId) === key) await this.sendLastSeen(s, personId);
  }

  private async cameraOf(agentId: string, cameraId: string): Promise<void> {
    if (this.cameras.has(cameraKey(agentId, cameraId))) return;
    const c = await this.o.store.cameras.get(agentId, cameraId);
    await this.camera(c ?? { agentId, id: cameraId, name: null, configName: null });
  }

  /** Whether the person has (or now gets) an entity. */
  private async person(p: Person): Promise<boolean> {
    if (!p.list) {
      await this.removePerson(p.id);
      return false;
    }
    const cur = this.persons.get(p.id);
    if (cur && cur.name === p.name && cur.list === p.list) return true;
    if (!cur && this.persons.size >= this.o.settings.maxPersons) {
      if (!this.warnedCap && this.o.settings.maxPersons > 0) {
        this.warnedCap = true;
        this.o.log.warn(
          { maxPersons: this.o.settings.maxPersons },
          "Home Assistant: more listed persons than integrations.homeAssistant.maxPersons; the others get no entity",
        );
      }
      return false;
    }
    this.persons.set(p.id, { name: p.name, list: p.list });
    const pt = this.personTopics(p.id);
    const { nodeId } = this.o.settings;
    await this.send(
      pt.lastSeenConfig,
      JSON.stringify({
        name: "Last seen at camera",
        unique_id: `${nodeId}_person_${pt.id}_last_seen`,
        state_topic: pt.lastSeen,
        value_template: "{{ value_json.camera }}",
        json_attributes_topic: pt.lastSeen,
        icon: p.list === "foe" ? "mdi:account-alert" : "mdi:account-check",
        ...this.common({
          identifiers: [`${nodeId}_person_${pt.id}`],
          name: p.name,
          model: p.list === "foe" ? "Foe list" : "Friend list",
        }),
      }),
    );
    return true;
  }

  private async removePerson(id: string): Promise<void> {
    if (!this.persons.delete(id)) return;
    const pt = this.personTopics(id);
    // Empty retained payloads: Home Assistant removes the entity, the broker forgets the state.
    await this.send(pt.lastSeenConfig, "");
    await this.send(pt.lastSeen, "");
    this.newest.delete(pt.lastSeen);
    this.seen.delete(id);
  }

  // ------------------------------------------------------------------ states

  private async lastPerson(s: Sighting, person: Person | null): Promise<void> {
    const ct = this.cameraTopics(s.agentId, s.cameraId);
    if (s.lastSeenAt < (this.newest.get(ct.lastPerson) ?? 0)) return;
    this.newest.set(ct.lastPerson, s.lastSeenAt);
    await this.send(
      ct.lastPerson,
      JSON.stringify({
        name: person?.name ?? "unidentified",
        personId: s.personId,
        list: person?.list ?? null,
        sightingId: s.id,
        lastSeenAt: iso(s.lastSeenAt),
        similarity: s.similarity,
      }),
    );
  }

  private async lastSeen(s: Sighting, personId: string): Promise<void> {
    const pt = this.personTopics(personId);
    if (s.lastSeenAt < (this.newest.get(pt.lastSeen) ?? 0)) return;
    this.newest.set(pt.lastSeen, s.lastSeenAt);
    this.seen.set(personId, s);
    await this.sendLastSeen(s, personId);
  }

  private async sendLastSeen(s: Sighting, personId: string): Promise<void> {
    await this.send(
      this.personTopics(personId).lastSeen,
      JSON.stringify({
        camera: this.cameras.get(cameraKey(s.agentId, s.cameraId)) ?? cameraKey(s.agentId, s.cameraId),
        agentId: s.agentId,
        cameraId: s.cameraId,
        sightingId: s.id,
        lastSeenAt: iso(s.lastSeenAt),
      }),
    );
  }

  /** A foe seen at `at`: ON until `at` + the window (from now at most: a clock ahead is no longer), then OFF. */
  private async foeSeen(agentId: string, cameraId: string, at: number): Promise<void> {
    const key = cameraKey(agentId, cameraId);
    const windowMs = this.o.settings.foeWindowSeconds * 1000;
    const now = this.now();
    const until = Math.min(at, now) + windowMs;
    if (until <= now) return;
    const cur = this.foe.get(key);
    if (cur && cur.until >= until) return;
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => {
      this.foe.delete(key);
      this.enqueue(() => this.send(this.cameraTopics(agentId, cameraId).foePresent, "OFF"));
    }, until - now);
    timer.unref();
    this.foe.set(key, { until, timer });
    await this.send(this.cameraTopics(agentId, cameraId).foePresent, "ON");
  }

  private async onSighting(s: Sighting, person: Person | null): Promise<void> {
    // The foe first: a camera's first entities then start ON, without an OFF before.
    if (s.verdict === "foe") await this.foeSeen(s.agentId, s.cameraId, s.lastSeenAt);
    await this.cameraOf(s.agentId, s.cameraId);
    await this.lastPerson(s, person);
    if (person?.list && (await this.person(person))) await this.lastSeen(s, person.id);
  }

  private async onPerson(e: BusEvents["person"][0]): Promise<void> {
    if (e.action === "deleted") return this.removePerson(e.personId);
    if (e.action === "merged") {
      await this.removePerson(e.personId);
      const into = e.into ? await this.o.store.persons.get(e.into) : undefined;
      if (into) await this.person(into);
      return;
    }
    if (e.person) await this.person(e.person);
  }

  /** Every camera and listed person, with their states from the store. */
  private async load(): Promise<void> {
    const { store, settings } = this.o;
    for (const c of await store.cameras.list()) {
      const ref = [{ agentId: c.agentId, cameraId: c.id }];
      // A foe seen within the window first: the camera's entities then start ON, without an OFF before.
      const [foe] = (await store.sightings.list({ cameras: ref, list: "foe" }, undefined, 1)).items;
      if (foe) await this.foeSeen(c.agentId, c.id, foe.lastSeenAt);
      await this.camera(c);
      const [last] = (await store.sightings.list({ cameras: ref }, undefined, 1)).items;
      if (last) await this.lastPerson(last, last.personId ? ((await store.persons.get(last.personId)) ?? null) : null);
    }
    if (settings.maxPersons === 0) return;
    const listed: Person[] = [];
    for (const list of ["foe", "friend"] as const)
      listed.push(...(await store.persons.list({ list, sort: "lastSeen" }, undefined, settings.maxPersons)).items);
    listed.sort((a, b) => (b.lastSeenAt ?? 0) - (a.lastSeenAt ?? 0));
    for (const p of listed) {
      if (!(await this.person(p))) continue;
      const [last] = (await store.sightings.list({ personId: p.id }, undefined, 1)).items;
      if (last) await this.lastSeen(last, p.id);
    }
  }
}
