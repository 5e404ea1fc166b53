import { type Message, ServerFrame } from '@kurier/protocol';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from './encode.js';

const message = (text: string): Message => ({
  id: 'm_1',
  conversationId: 'c_1',
  seq: 7,
  senderId: 'u_1',
  clientMsgId: 'k-1',
  type: 'text',
  text,
  system: null,
  media: null,
  replyToId: null,
  createdAt: 1_764_000_000_000,
  editedAt: null,
  deletedAt: null,
  reactions: [{ emoji: '👍', userIds: ['u_2'] }],
  changeId: 42,
});

// The fast shapes are built as text: they must be the very JSON the generic path would send.
describe('encodeFrame', () => {
  const tricky = 'Grüße "Anführung" \\ Zeile\nzwei \u2028 </script> 😀';
  const frames: ServerFrame[] = [
    { type: 'ack', id: 's-1', message: message(tricky) },
    { type: 'ack', id: 's-4', message: message(tricky), cursor: 42 },
    { type: 'ack', id: 's-2' },
    { type: 'changes', changes: [{ kind: 'message', message: message(tricky) }], cursor: 42, live: true, done: true },
    {
      type: 'changes',
      changes: [
        { kind: 'message', message: message('eins') },
        { kind: 'message', message: { ...message('zwei'), id: 'm_2', seq: 8, changeId: 43 } },
      ],
      cursor: 43,
      live: false,
      done: false,
    },
    { type: 'error', id: null, code: 'RATE_LIMITED', message: 'Zu viele Nachrichten.' },
  ];

  it('M1 M12: every frame encodes to what JSON.stringify gives, and parses as a valid server frame', () => {
    for (const frame of frames) {
      const text = encodeFrame(frame);
      expect(text).toBe(JSON.stringify(frame));
      expect(ServerFrame.parse(JSON.parse(text))).toEqual(frame);
    }
  });

  it('M1: an ack and the live change of one send share one serialization of the message', () => {
    const m = message('geteilt');
    const change = encodeFrame({
      type: 'changes',
      changes: [{ kind: 'message', message: m }],
      cursor: 42,
      live: true,
      done: true,
    });
    // Changing the object afterwards shows the ack reused the text made for the change.
    m.text = 'später geändert';
    const ack = encodeFrame({ type: 'ack', id: 's-9', message: m });
    expect(JSON.parse(ack).message.text).toBe('geteilt');
    expect(JSON.parse(change).changes[0].message.text).toBe('geteilt');
    // The kept text is invisible to everything else that reads the message.
    const fresh = { ...message('geteilt'), text: 'später geändert' };
    expect({ ...m }).toEqual(fresh);
    expect(JSON.stringify(m)).toBe(JSON.stringify(fresh));
    expect(structuredClone(m)).toEqual(fresh);
    expect(Object.keys(m)).toEqual(Object.keys(fresh));
  });

  it('M1: a message that cannot take the kept text is still encoded', () => {
    const m = Object.freeze(message('eingefroren'));
    const frame: ServerFrame = { type: 'ack', id: 's-3', message: m };
    expect(encodeFrame(frame)).toBe(JSON.stringify(frame));
    expect(encodeFrame(frame)).toBe(JSON.stringify(frame));
  });
});
