import { describe, expect, it } from 'vitest';
import { USER_BUFFER_RECYCLE, UserMemory } from '../../models/vfio/user-memory.ts';

describe('user memory of a vfio program', () => {
  // Found by the soak: every pread/pwrite takes a fresh bump-allocated buffer, and the sparse
  // backing kept every page it was ever given, so a long run grew to the whole 1 GiB space.
  it('user buffers are recycled: a long run of calls keeps the resident memory bounded (soak: memory flat)', () => {
    const user = new UserMemory();
    const chunk = new Uint8Array(4096).fill(0x5a);
    for (let i = 0; i < (64 << 20) / chunk.length; i++) {
      const at = user.allocate(chunk.length);
      expect(user.copyTo(at, chunk)).toBe(0);
    }
    expect(user.residentPages).toBeLessThanOrEqual(USER_BUFFER_RECYCLE / 4096 + 1);
  });

  it('a buffer larger than the recycle window still fits the address space', () => {
    const user = new UserMemory();
    const at = user.allocate(USER_BUFFER_RECYCLE * 2);
    expect(user.contains(at, USER_BUFFER_RECYCLE * 2)).toBe(true);
  });
});
