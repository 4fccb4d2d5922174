/** What the HTTP layer needs to know about ClickHouse formats: content types. Pure. */

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
