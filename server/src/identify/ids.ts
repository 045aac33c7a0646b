/**
 * Face ids (the HNSW labels) and the N of "Unknown #N" are handed out here, by ingestion and by
 * enrolment alike, continuing from the largest ones in the store.
 */
import type { Store } from "../store/types.ts";

export class IdAllocator {
  private constructor(
    private face: number,
    private autoNumber: number,
  ) {}

  static async open(store: Store): Promise<IdAllocator> {
    return new IdAllocator(await store.persons.maxFaceId(), await store.persons.maxAutoNumber());
  }

  nextFaceId(): number {
    return ++this.face;
  }
  nextAutoNumber(): number {
    return ++this.autoNumber;
  }
}
