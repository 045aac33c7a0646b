/**
 * An operator's decision on a clustering proposal (clustering.ts): accept merges the two persons
 * (`merge_persons`: into the enrolled or listed one, else the one seen more often, else the older one)
 * or links the sightings (`link_sightings`: the sighting moves to the person, or two unidentified
 * sightings become a new person); reject keeps the pair from ever being proposed again. Both are
 * audited (`proposal.accept`, `proposal.reject`).
 */
import type { AuditLog } from "../audit/audit.ts";
import { conflict, notFound } from "../domain/errors.ts";
import type { Actor, Person, Proposal } from "../domain/types.ts";
import type { Store } from "../store/types.ts";
import type { CorrectionService, MoveResult } from "./corrections.ts";

export interface Decision {
  proposal: Proposal;
  /** The person the accepted proposal made or kept (null after a reject). */
  person: Person | null;
}

const by = (a: Actor) => `${a.kind}:${a.name}`;

export class ProposalService {
  constructor(private readonly d: { store: Store; corrections: CorrectionService; audit: AuditLog }) {}

  private async open(id: string): Promise<Proposal> {
    const p = await this.d.store.proposals.get(id);
    if (!p) throw notFound("proposal", id);
    if (p.status !== "open") throw conflict("PROPOSAL_DECIDED", `proposal '${id}' was already ${p.status}`);
    return p;
  }

  async reject(id: string, actor: Actor): Promise<Decision> {
    const before = await this.open(id);
    const p = (await this.d.store.proposals.decide(id, "rejected", by(actor), Date.now()))!;
    await this.d.audit.record({
      actor,
      action: "proposal.reject",
      targetType: "proposal",
      targetId: id,
      before,
      after: p,
    });
    return { proposal: p, person: null };
  }

  async accept(id: string, actor: Actor): Promise<Decision> {
    const before = await this.open(id);
    const { store, corrections } = this.d;
    let person: Person | null = null;
    if (before.kind === "merge_persons") {
      const [a, b] = await Promise.all([store.persons.get(before.a), store.persons.get(before.b)]);
      if (!a) throw notFound("person", before.a);
      if (!b) throw notFound("person", before.b);
      const rank = (p: Person) => [p.kind === "enrolled" || p.list ? 1 : 0, p.sightingCount, -p.createdAt];
      const [ra, rb] = [rank(a), rank(b)];
      const aWins = ra[0] !== rb[0] ? ra[0] > rb[0] : ra[1] !== rb[1] ? ra[1] > rb[1] : ra[2] >= rb[2];
      const [into, from] = aWins ? [a, b] : [b, a];
      // Decided first: the merge drops the open proposals naming the person merged away.
      await store.proposals.decide(id, "accepted", by(actor), Date.now());
      person = await corrections.merge(into.id, from.id, actor, "person.merge");
    } else {
      const aPerson = await store.persons.get(before.a);
      let r: MoveResult;
      if (aPerson) {
        if (!(await store.sightings.get(before.b))) throw notFound("sighting", before.b);
        await store.proposals.decide(id, "accepted", by(actor), Date.now());
        r = await corrections.move([before.b], { kind: "person", personId: aPerson.id }, actor);
      } else {
        for (const s of [before.a, before.b]) if (!(await store.sightings.get(s))) throw notFound("sighting", s);
        await store.proposals.decide(id, "accepted", by(actor), Date.now());
        r = await corrections.move([before.a, before.b], { kind: "new" }, actor);
      }
      person = r.person;
    }
    const p = (await store.proposals.get(id))!;
    await this.d.audit.record({
      actor,
      action: "proposal.accept",
      targetType: "proposal",
      targetId: id,
      before,
      after: { ...p, personId: person?.id ?? null },
    });
    return { proposal: p, person };
  }
}
