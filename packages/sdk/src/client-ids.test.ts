import { describe, expect, it } from 'vitest';
import { newClientMsgId } from './client.js';

describe('client message ids', () => {
  it('M2: are unique, time-ordered and 80 random bits, also across refills of the random pool', () => {
    const ids = Array.from({ length: 20_000 }, () => newClientMsgId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{9}-[0-9a-f]{20}$/);
    const times = ids.map((id) => id.slice(0, 9));
    expect([...times].sort()).toEqual(times);
    // Every hex digit turns up in every position of the random part: no byte is reused or stuck.
    for (let pos = 10; pos < 30; pos++) expect(new Set(ids.map((id) => id[pos])).size).toBe(16);
  });
});
