/** Server settings: identification, regulars, the history index, visits and clustering; composed into one schema in ../config.ts. */
import { THRESHOLDS } from "@argus/shared";
import { z } from "zod";
import { bool, int, num } from "../fields.ts";

export const identifySettings = z
  .object({
    threshold: num(-1, 1)
      .default(THRESHOLDS.identify)
      .describe(
        "The floor of the operating threshold: a face is linked to a person at or above max(this, the calibrated threshold for `targetFpir` at the gallery's size), capped by `maxThreshold`; set `maxThreshold` to the same value for a fixed threshold. Default `THRESHOLDS.identify` (shared/src/face/thresholds.ts)",
      ),
    targetFpir: num(1e-6, 0.5)
      .default(0.01)
      .describe(
        "Target false-positive identification rate: the chance that a stranger's face matches somebody in the gallery. The operating threshold is the lowest cosine at which the model's calibrated impostor scores (models/manifest.json) give at most this rate at the current gallery size (faces searched), between `threshold` and `maxThreshold`; matches at or below it are graded `likely` or better",
      ),
    maxThreshold: num(-1, 1)
      .default(0.6)
      .describe(
        "The ceiling of the operating threshold: a very large gallery never needs more than this to link a face (beyond it FPIR exceeds `targetFpir` and matches are graded lower)",
      ),
    grades: z
      .object({
        strongFpir: num(1e-9, 0.5)
          .default(0.001)
          .describe("A match is `strong` when a stranger would score as high with at most this chance in this gallery"),
        possibleFpir: num(1e-6, 1)
          .default(0.2)
          .describe(
            "... `possible` up to this chance (shown in searches; `likely` is up to `targetFpir`); beyond it a candidate has no grade",
          ),
        margin: num(0, 1)
          .default(0.05)
          .describe("A second person within this cosine of the best makes the match one grade weaker"),
      })
      .strict()
      .prefault({})
      .describe("How sure a match is (calibrated on the model's impostor scores): strong, likely, possible"),
    verifyThreshold: num(-1, 1)
      .default(THRESHOLDS.verify)
      .describe("Cosine for `POST /verify`, and the candidate floor of search by photo; default `THRESHOLDS.verify`"),
    matching: z
      .enum(["global", "camera"])
      .default("global")
      .describe(
        "'global': one gallery; 'camera': automatic persons are matched only at cameras that saw them (enrolled and listed persons everywhere)",
      ),
    minQualityNewPerson: num(0, 1)
      .default(0.3)
      .describe(
        'Unmatched faces below this quality are stored without a person (`unlinkedReason` low_quality): they neither found an "Unknown #N" person nor wait as candidates',
      ),
    lowQualityThreshold: num(-1, 1)
      .default(0.55)
      .describe(
        "A face below `minQualityNewPerson` is linked to a person only at this cosine or more (or the operating threshold if higher): poor faces of different people score high together (0.50 on the benchmark videos); on LFW no genuine probe is lost",
      ),
    create: z
      .object({
        minSightings: int(1, 100)
          .default(2)
          .describe(
            'An unmatched face that is not a strong track waits as a candidate (a sighting of no person, `unlinkedReason` candidate) until this many candidates from separate tracks or visits match each other; then they found one "Unknown #N" person together. 1: every good enough unmatched face founds a person at once',
          ),
        minTrackFrames: int(1)
          .default(10)
          .describe(
            "A strong track founds a person at once: at least this many analyzed frames with the face (the agent's `track.frames`) ...",
          ),
        minShots: int(1)
          .default(3)
          .describe(
            "... or at least this many shots (embeddings of the track's template, `embedding.shots`, or events of the track received) ...",
          ),
        minQuality: num(0, 1)
          .default(0.5)
          .describe("... and a best shot of at least this quality, and the agent's face check passed (or absent)"),
        minSimilarity: num(-1, 1)
          .default(0.55)
          .describe(
            "Candidates recur when their cosine is at least this (or the calibrated threshold at the candidate index's size, if higher): both are unmatched faces of unknown quality, often small and blurred (on the benchmark videos, different people's candidates scored up to 0.48, the same person's 0.72-0.83)",
          ),
        minGapSeconds: int(0)
          .default(60)
          .describe(
            "Candidates of the same track id count as separate visits when this many seconds apart (different track ids always do)",
          ),
        windowHours: int(1)
          .default(168)
          .describe(
            "Candidates are matched with each other for this long (the in-memory candidate index, rebuilt at start from the stored candidate sightings); older ones stay unidentified",
          ),
        maxCandidates: int(100, 10_000_000)
          .default(50_000)
          .describe(
            "Candidates kept in memory at most, about 3 kB each, rebuilt at start at about 0.6 ms each (the oldest go first)",
          ),
      })
      .strict()
      .prefault({})
      .describe("Cautious creation of automatic persons (see Automatic persons)"),
    enrol: z
      .object({
        minQuality: num(0, 1)
          .default(0.35)
          .describe(
            "Enrolment photos whose face has a lower quality are refused (422 `LOW_QUALITY` with the quality and this floor) unless `?force=true`; as `representatives.minQuality`, about 2% of LFW's photos",
          ),
        dominance: num(1, 100)
          .default(2)
          .describe(
            "A photo with several faces enrols the dominant one: its prominence (area x (1 - distance from the photo's center / half the diagonal)^2) at least this many times every other face's; otherwise 422 `MULTIPLE_FACES` with every face's box and quality",
          ),
      })
      .strict()
      .prefault({})
      .describe("Enrolment photos (`POST /persons/{id}/faces`)"),
    representatives: z
      .object({
        max: int(0, 64)
          .default(8)
          .describe("Learned (sighting) faces kept per person; enrolled photos are always kept"),
        nearDuplicate: num(0, 1)
          .default(0.92)
          .describe("Cosine above which a candidate adds nothing new (same pose, same light)"),
        minQuality: num(0, 1).default(0.35).describe("Faces below this quality are never representatives"),
        diversityWeight: num(0, 10)
          .default(0.5)
          .describe("How much redundancy costs against quality when choosing which face to drop"),
      })
      .strict()
      .prefault({})
      .describe("Which faces a person keeps for matching"),
    hnsw: z
      .object({
        m: int(4, 96).default(16).describe("HNSW links per node (see Benchmarks)"),
        efConstruction: int(16, 2000).default(200).describe("HNSW build-time search width"),
        efSearch: int(8, 4000).default(128).describe("HNSW query-time search width (recall against speed)"),
        initialCapacity: int(16).default(1024).describe("Faces the index has room for before it first grows"),
      })
      .strict()
      .prefault({})
      .describe("The nearest-neighbour index"),
    k: int(1, 200).default(20).describe("Neighbours fetched per search (several faces per person)"),
    snapshotIntervalSeconds: int(5)
      .default(300)
      .describe("Seconds between index snapshots when it changed (one is also written at stop)"),
    snapshotEveryChanges: int(1)
      .default(500)
      .describe(
        "Also snapshot after this many index changes: each one not in the snapshot costs catch-up time at a start after a crash",
      ),
  })
  .strict()
  .prefault({})
  .describe("Identification: faces to persons");

export const regularsSettings = z
  .object({
    minDays: int(1).default(5).describe("A regular is seen on this many distinct days ..."),
    windowDays: int(1).default(7).describe("... within this many days, at the same camera"),
    timeZone: z.string().default("UTC").describe("Time zone of those calendar days (IANA name)"),
  })
  .strict()
  .prefault({})
  .describe("Automatic friends: people seen regularly at a camera");

export const historySettings = z
  .object({
    enabled: bool(true).describe(
      "Index every sighting's embedding (search by photo over all history: `POST /api/v1/search/sightings`; clustering of unidentified sightings)",
    ),
    m: int(4, 96).default(16).describe("HNSW links per node of the history index (memory: see README, History search)"),
    efConstruction: int(16, 2000)
      .default(64)
      .describe("HNSW build-time search width of the history index (its build time: see README, History search)"),
    efSearch: int(8, 4000)
      .default(512)
      .describe(
        "HNSW query-time search width of an operator's photo search in the history (recall against speed: bench/history-search.ts measured recall@10 0.11 / 0.33 / 0.59 at 128 / 512 / 2048 on 1M hard synthetic sightings, p95 2.4 / 8.5 / 30 ms); the clustering job searches at 128",
      ),
    snapshotEveryChanges: int(1)
      .default(5000)
      .describe(
        "Snapshot the history index after this many changes (also every `identify.snapshotIntervalSeconds` when changed, and at stop); sightings missing from it are indexed again at start",
      ),
    maxDepth: int(10, 10_000).default(1000).describe("Deepest result a history search pages to (offset + page size)"),
  })
  .strict()
  .prefault({})
  .describe("The history index: every sighting's face, for search by photo and clustering");

export const visitsSettings = z
  .object({
    gapSeconds: int(0, 86_400)
      .default(300)
      .describe(
        "Sightings of a person at one camera with at most this gap between them form one visit (`GET /persons/{id}/visits`)",
      ),
  })
  .strict()
  .prefault({})
  .describe("Visits: a person's sightings grouped per camera and time");

export const clusteringSettings = z
  .object({
    intervalHours: int(0, 8760)
      .default(24)
      .describe(
        "Run the duplicates job (clustering) this often, the first run this long after start; 0: only when started from the API (`POST /api/v1/jobs/cluster`)",
      ),
    personThreshold: num(-1, 1)
      .default(0.4)
      .describe("Two persons whose best faces are at least this similar are proposed as one (an operator decides)"),
    sightingThreshold: num(-1, 1)
      .default(0.4)
      .describe(
        "An unidentified sighting at least this similar to a person, or to another unidentified sighting, is proposed as linked",
      ),
    maxProposals: int(1, 100_000).default(500).describe("New proposals kept per run at most (the highest scores)"),
  })
  .strict()
  .prefault({})
  .describe("Duplicates: proposals that two persons, or sightings, are one person");
