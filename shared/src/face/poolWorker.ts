/**
 * A FacePool worker: one FacePipeline (its own ONNX sessions) serving the pool's calls: one frame
 * or photo at a time, and an urgent call beside it (see FacePool.dispatch). Replies carry the same objects FacePipeline returns; pixel and vector buffers are
 * transferred, not copied.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type AnalyzedFace, FacePipeline, type FrameDetection, type PipelineOptions } from "./pipeline.ts";
import { type PoolReply, type PoolRequest, toWire } from "./pool.ts";

const port = parentPort!;
const send = (m: PoolReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

// Yielding between model runs lets an urgent call (an embedding) run between the views of a frame.
const options: PipelineOptions = { ...workerData.options, yieldBetweenRuns: true };
const pipeline = await FacePipeline.create(options).catch((e: unknown) => {
  // The pool reports this as the reason the worker could not start; closing the port ends the thread.
  send({ type: "fatal", error: toWire(e) });
  port.close();
  return undefined;
});

function buffersOf(faces: (AnalyzedFace | undefined)[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const f of faces) {
    if (!f) continue;
    out.push(f.aligned.data.buffer as ArrayBuffer);
    if (f.embedding) out.push(f.embedding.buffer as ArrayBuffer);
  }
  return out;
}

async function serve(pipeline: FacePipeline, req: PoolRequest): Promise<[unknown, ArrayBuffer[]]> {
  switch (req.op) {
    case "analyzeFrame": {
      const dets: FrameDetection[] = await pipeline.analyzeFrame(req.image, req.options);
      return [dets, buffersOf(dets.map((d) => d.face))];
    }
    case "embed": {
      const vecs = await pipeline.embedMany(req.todo ? req.todo.map((k) => req.aligned[k]) : req.aligned);
      if (!req.check) return [vecs, vecs.map((v) => v.buffer as ArrayBuffer)];
      const looks = await pipeline.secondLooks(req.aligned, req.contexts);
      return [{ vecs, looks }, vecs.map((v) => v.buffer as ArrayBuffer)];
    }
    case "process": {
      const faces = await pipeline.process(req.image, req.options);
      return [faces, buffersOf(faces)];
    }
    default:
      throw new Error(`unknown face pool call '${(req as { op: string }).op}'`);
  }
}

if (pipeline) {
  port.on("message", async (req: PoolRequest) => {
    // Stage times are not reported from workers; do not let them pile up.
    pipeline.times.clear();
    try {
      const [result, transfer] = await serve(pipeline, req);
      send({ type: "result", id: req.id, result }, transfer);
    } catch (e) {
      send({ type: "error", id: req.id, error: toWire(e) });
    }
  });
  send({ type: "ready" });
}
