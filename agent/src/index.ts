export {
  AGENT_VERSION,
  type AgentOptions,
  type AgentResult,
  type AgentStatusBody,
  type RunningAgent,
  startAgent,
} from "./agent.ts";
export { FFMPEG_PATH } from "./ingest/ffmpeg.ts";
