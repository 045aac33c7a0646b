/**
 * Typed errors with stable codes. The code is part of the public interface (CLI JSON output,
 * REST error bodies), the message is for humans.
 */
export type ErrorCode =
  | "IMAGE_EMPTY"
  | "IMAGE_TOO_LARGE"
  | "IMAGE_TOO_MANY_PIXELS"
  | "IMAGE_UNSUPPORTED"
  | "IMAGE_CORRUPT"
  | "MODEL_MISSING"
  | "MODEL_CHECKSUM"
  | "MODEL_UNKNOWN"
  | "NO_FACE"
  | "MULTIPLE_FACES"
  /** An enrolment photo's face is below the quality floor. */
  | "LOW_QUALITY"
  | "CONFIG_INVALID"
  | "FILE_NOT_FOUND"
  | "INVALID_ARGUMENT"
  /** The database was written by a newer server (its schema version is above the migrations this one knows). */
  | "SCHEMA_TOO_NEW";

export class ArgusError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ArgusError";
    this.code = code;
    this.details = details;
  }
}

export const isArgusError = (e: unknown): e is ArgusError => e instanceof ArgusError;

/** `{code, message}` for any thrown value; unknown errors keep their message but get a generic code. */
export function errorBody(e: unknown): { code: string; message: string } {
  if (e instanceof ArgusError) return { code: e.code, message: e.message };
  return { code: "INTERNAL", message: e instanceof Error ? e.message : String(e) };
}
