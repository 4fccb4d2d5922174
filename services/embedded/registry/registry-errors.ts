/**
 * Expected failures of the registry, in Confluent's wire shape: an HTTP status plus a body
 * `{"error_code": 40401, "message": "..."}`. Clients switch on error_code, so the codes and the
 * statuses they travel with are part of the protocol and must not drift.
 */
export interface RegistryError {
  readonly status: number;
  readonly errorCode: number;
  readonly message: string;
}

const e = (status: number, errorCode: number, message: string): RegistryError => ({ status, errorCode, message });

export const registryErrors = {
  subjectNotFound: (subject: string) => e(404, 40401, `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) => e(404, 40402, `Version ${version} not found.`),
  schemaNotFound: (id?: number) => e(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`),
  subjectSoftDeleted: (subject: string) =>
    e(404, 40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (subject: string) =>
    e(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (subject: string, version: number) =>
    e(
      404,
      40406,
      `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (subject: string, version: number) =>
    e(404, 40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`),
  subjectConfigNotFound: (subject: string) =>
    e(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`),
  incompatible: (subject: string, messages: readonly string[]) =>
    e(
      409,
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${messages.join(', ')}]`,
    ),
  invalidSchema: (detail: string) => e(422, 42201, `Invalid schema: ${detail}`),
  emptySchema: () => e(422, 42201, 'Empty schema'),
  invalidVersion: (raw: string) =>
    e(
      422,
      42202,
      `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidCompatibilityLevel: (raw: string) =>
    e(
      422,
      42203,
      `Invalid compatibility level '${raw}'. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`,
    ),
  invalidRequest: (detail: string) => e(422, 422, detail),
  malformedBody: (detail: string) => e(400, 400, `Malformed JSON body: ${detail}`),
  bodyTooLarge: (limit: number) => e(413, 413, `Request body is larger than ${limit} bytes`),
  notFound: () => e(404, 404, 'HTTP 404 Not Found'),
  methodNotAllowed: () => e(405, 405, 'HTTP 405 Method Not Allowed'),
  storeError: (detail: string) => e(500, 50001, `Error in the backend data store: ${detail}`),
  internal: () => e(500, 50001, 'Internal error'),
} as const;

/** The JSON body Confluent sends with an error. */
export const errorBody = (error: RegistryError): { error_code: number; message: string } => ({
  error_code: error.errorCode,
  message: error.message,
});
