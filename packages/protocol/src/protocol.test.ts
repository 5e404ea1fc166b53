import { describe, expect, it } from 'vitest';
import { ClientFrame, ERROR_CODES, ERRORS, PROTOCOL_VERSION, SendMessageRequest, ServerFrame } from './index.js';

describe('protocol schemas', () => {
  it('E2: accepts every well-formed client frame and rejects wrong shapes', () => {
    const ok = [
      { type: 'hello', protocolVersion: PROTOCOL_VERSION, token: 't', cursor: 5 },
      { type: 'send', id: 'r1', conversationId: 'c_1', clientMsgId: 'k-1', text: 'Grüß Gott' },
      { type: 'edit', id: 'r2', messageId: 'm_1', text: 'x' },
      { type: 'delete', id: 'r3', messageId: 'm_1' },
      { type: 'react', id: 'r4', messageId: 'm_1', emoji: '👍' },
      { type: 'receipt', kind: 'read', conversationId: 'c_1', seq: 3 },
      { type: 'typing', conversationId: 'c_1', typing: true },
      { type: 'sync', id: 'r5', cursor: 0 },
      { type: 'ping' },
    ];
    for (const frame of ok) expect(ClientFrame.safeParse(frame).success, JSON.stringify(frame)).toBe(true);
    const bad = [
      { type: 'send', id: 'r1', conversationId: 'c_1', clientMsgId: 'has space', text: 'x' },
      { type: 'send', id: 'r1', conversationId: 'c_1', clientMsgId: 'k', text: '' },
      { type: 'send', id: 'r1', conversationId: 'c_1', clientMsgId: 'k', text: 'x'.repeat(4097) },
      { type: 'receipt', kind: 'seen', conversationId: 'c_1', seq: 1 },
      { type: 'receipt', kind: 'read', conversationId: 'c_1', seq: -1 },
      { type: 'hello', protocolVersion: '1', token: 't' },
      { type: 'nope' },
    ];
    for (const frame of bad) expect(ClientFrame.safeParse(frame).success, JSON.stringify(frame)).toBe(false);
  });

  it('E8: every error code has an HTTP status and a default message; fatal ones a close code', () => {
    for (const code of ERROR_CODES) {
      const spec = ERRORS[code];
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.message.length).toBeGreaterThan(0);
    }
    expect(ERRORS.SESSION_EXPIRED).toMatchObject({ close: 4401 });
    expect(ServerFrame.safeParse({ type: 'error', id: null, code: 'NOT_A_MEMBER', message: 'x' }).success).toBe(true);
    expect(ServerFrame.safeParse({ type: 'error', id: null, code: 'MADE_UP', message: 'x' }).success).toBe(false);
  });

  it('F5: a send carries text, a file, or both (the text is then the caption)', () => {
    const base = { type: 'send', id: 'r1', conversationId: 'c_1', clientMsgId: 'k-1' };
    expect(ClientFrame.safeParse({ ...base, mediaId: 'f_1' }).success).toBe(true);
    expect(ClientFrame.safeParse({ ...base, mediaId: 'f_1', text: 'Angebot' }).success).toBe(true);
    expect(ClientFrame.safeParse(base).success).toBe(false);
    expect(ClientFrame.safeParse({ ...base, mediaId: 'f_1', text: '' }).success).toBe(false);
    expect(SendMessageRequest.safeParse({ clientMsgId: 'k', mediaId: 'f_1' }).success).toBe(true);
    expect(SendMessageRequest.safeParse({ clientMsgId: 'k' }).success).toBe(false);
  });
});
