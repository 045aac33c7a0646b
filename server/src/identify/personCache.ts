/** Recently used person records for event payloads (names, lists); changes put or forget them. */
import type { Person } from "../domain/types.ts";
import type { Store } from "../store/types.ts";

export class PersonCache {
  private readonly map = new Map<string, Person>();
  constructor(
    private readonly store: Store,
    private readonly max = 10_000,
  ) {}
  async get(id: string): Promise<Person | undefined> {
    const hit = this.map.get(id);
    if (hit) return hit;
    const p = await this.store.persons.get(id);
    if (p) this.put(p);
    return p;
  }
  put(p: Person): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(p.id, p);
  }
  forget(id: string): void {
    this.map.delete(id);
  }
}
