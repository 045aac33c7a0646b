/**
 * Face ids (the gallery's HNSW labels), sighting labels of the history index and the N of
 * "Unknown #N" are handed out here, by ingestion and by enrolment alike, continuing from the largest
 * ones in the store.
 */
import type { Store } from "../store/types.ts";

export class IdAllocator {
  private constructor(
    private face: number,
    private autoNumber: number,
    private sighting: number,
  ) {}

  static async open(store: Store): Promise<IdAllocator> {
    return new IdAllocator(
      await store.persons.maxFaceId(),
      await store.persons.maxAutoNumber(),
      await store.sightings.maxIndexId(),
    );
  }

  /** A sighting's label in the history index. */
  nextSightingIndexId(): number {
    return ++this.sighting;
  }

  nextFaceId(): number {
    return ++this.face;
  }
  nextAutoNumber(): number {
    return ++this.autoNumber;
  }
}
