import { describe, expect, it } from 'vitest';
import { cityHash128 } from '../../../../services/embedded/clickhouse/cityhash128.ts';

// Expected values from clickhouse-cityhash 1.0.2.6 (the CityHash v1.0.2 binding clickhouse-driver
// uses to checksum ClickHouse's compressed blocks), for bytes (i * 7 + 3) & 0xff, written as
// ClickHouse stores the checksum: the pair's first half then its second, little-endian (the
// binding returns first << 64 | second, and clickhouse-driver writes the high half first). The lengths cover
// every branch: 0, 1-3, 4-8, 9-16, 17-127 (CityMurmur), 128+ with and without a tail.
const vectors: ReadonlyArray<readonly [number, string]> = [
  [0, '2b9ac064fc9df03d291ee592c340b53c'], [1, '555db5cc909437391f57cd6430b1f22a'], [3, '8669a11d6bfa08312d6150c2f01b3032'],
  [4, '416c8dee5ae721238d3505f627b3a6ce'], [7, 'c7957e59690ff99e8fee82976c958749'], [8, '2f4353599a7cadb68c88219910020e9f'],
  [9, '9a5158e0f1cc0156ef3f3328ca2f51f8'], [15, '472f8fabd899825a77320da978a4a08e'], [16, '792b9c7fab9ce7217a3f3135c21556a3'],
  [17, '4c6eeafa13bbd50cfebbf6789171bf32'], [31, 'fc7fc25e32704f6ee015b5f0e9a7239a'], [100, '776dc3f76d25ede8520cec0696e5a45d'],
  [127, '429982623c2a1c1feade014b6020585d'], [128, '314d69d6100bd011f4df3fb8e5b98f10'], [129, 'd8eae95964c4352d54ca0fbd05f8a659'],
  [200, '547539f88865fc6b54448180b46d70e3'], [255, 'cae4bb08cfd87a21ff322f8d03b45b1a'], [256, '4bf4cc96d56d6986aebd9ab7b0b2d99f'],
  [1000, '7323377b8c534b982087686bc5cbe6f6'], [4096, '485e478dfad67fd7fefc7258c695dea6'],
];

describe('CityHash128 v1.0.2', () => {
  it.each(vectors)('matches the reference for %i bytes', (n, hex) => {
    const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));
    expect(cityHash128(data).toString('hex')).toBe(hex);
  });
});
