import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadProgressLine, treeBytes } from '../../../../services/embedded/stack/download-progress.ts';

describe('download progress', () => {
  it('says seconds, megabytes of the known total and the percentage', () => {
    expect(downloadProgressLine(12_400, 18_200_000, 44_600_000)).toBe('stack:   ...12 s, 18.2 of about 44.6 MB (40 %)');
  });

  it('never claims 100 % or more than the total before Maven has finished (it fetches its plugins too)', () => {
    expect(downloadProgressLine(60_000, 90_000_000, 44_600_000)).toBe('stack:   ...60 s, 44.6 of about 44.6 MB (99 %)');
  });

  it('without a known total (another Kafka version) says only what has arrived', () => {
    expect(downloadProgressLine(5_000, 3_000_000, null)).toBe('stack:   ...5 s, 3.0 MB downloaded');
  });

  it('counts the bytes of every file under a folder, nested ones too, and 0 for a missing folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gf-progress-'));
    try {
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      writeFileSync(join(dir, 'x.jar'), Buffer.alloc(1000));
      writeFileSync(join(dir, 'a', 'b', 'y.jar'), Buffer.alloc(234));
      expect(treeBytes(dir)).toBe(1234);
      expect(treeBytes(join(dir, 'missing'))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
