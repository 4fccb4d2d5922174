/** What the HTTP layer needs to know about ClickHouse formats: content types and line framing. Pure. */

const binary = /^(RowBinary.*|Native|Parquet|Arrow|ArrowStream|ORC|Avro|AvroConfluent|Protobuf.*|MsgPack|CapnProto|BSONEachRow|Npy|RawBLOB)$/;

/** The Content-Type ClickHouse answers a result in the given format with. */
export const contentTypeFor = (format: string): string => {
  if (/^(TabSeparated|TSV)/.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (/^CSV/.test(format)) return `text/csv; charset=UTF-8; header=${/WithNames/.test(format) ? 'present' : 'absent'}`;
  if (/EachRow|^JSONLines$|^NDJSON$/.test(format)) return 'application/x-ndjson; charset=UTF-8';
  if (/^JSON/.test(format)) return 'application/json; charset=UTF-8';
  if (format === 'XML') return 'application/xml; charset=UTF-8';
  if (binary.test(format)) return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
};

/** Pick the response encoding from Accept-Encoding among those Node can produce; identity otherwise. */
export const pickEncoding = (acceptEncoding: string | undefined): 'gzip' | 'deflate' | 'br' | undefined => {
  if (acceptEncoding === undefined) return undefined;
  const offered = acceptEncoding.split(',').map((p) => p.trim().split(';')[0]?.trim().toLowerCase());
  for (const enc of ['gzip', 'br', 'deflate'] as const) if (offered.includes(enc)) return enc;
  return undefined;
};
