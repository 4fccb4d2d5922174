/**
 * Control's one error vocabulary: every code a use case can return, with the HTTP status the API
 * answers it with. Use cases speak codes only; http-api.ts maps them here. The older codes keep
 * their documented names (clients match on them); new ones carry the CTRL_ prefix.
 */
export const ControlErrors = {
  INVALID_EVENT: { status: 400, meaning: 'the event request is malformed (every problem is named)' },
  INVALID_RESERVE: { status: 400, meaning: 'reservePct must be 0..100 or null' },
  INVALID_OPT_OUT: { status: 400, meaning: 'the opt-out body must name an event' },
  UNKNOWN_SCOPE: { status: 422, meaning: 'the scope asset is not in the registry' },
  UNKNOWN_EVENT: { status: 404, meaning: 'no such event' },
  ALREADY_CANCELLED: { status: 409, meaning: 'the event was cancelled already' },
  ENDED: { status: 409, meaning: 'the event has ended' },
  /** The window ends before its commands could reach the devices (e.g. a request that hung while Kafka was down). */
  CTRL_WINDOW_ENDED: { status: 422, meaning: 'the window ends before the commands could be delivered' },
  /** This instance is the standby: mutations go to the leader (docs/control.md, leadership). */
  CTRL_NOT_LEADER: { status: 503, meaning: 'this control instance is not the leader' },
  INTERNAL: { status: 500, meaning: 'an invariant broke' },
} as const;

export type ControlErrorCode = keyof typeof ControlErrors;

export interface Failure {
  readonly code: ControlErrorCode;
  readonly message: string;
}

/** The HTTP status of a use case's failure code. */
export const httpStatusOf = (code: ControlErrorCode): number => ControlErrors[code].status;
