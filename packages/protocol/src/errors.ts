/**
 * The one catalogue of error codes. Every failure that crosses the wire carries one of these
 * codes; the server maps each to an HTTP status, and fatal ones to a WebSocket close code.
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the expected shape.' },
  MALFORMED_JSON: { status: 400, message: 'The body is not valid JSON.' },
  UNKNOWN_FRAME: { status: 400, message: 'Unknown frame type.' },
  FRAME_TOO_LARGE: { status: 413, message: 'The frame exceeds the size limit.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body exceeds the size limit.' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.', close: 4401 },
  SESSION_EXPIRED: { status: 401, message: 'The session has expired or was revoked.', close: 4401 },
  INVALID_CREDENTIALS: { status: 401, message: 'Username or password is wrong.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  NOT_A_MEMBER: { status: 403, message: 'You are not a member of this conversation.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONVERSATION_NOT_FOUND: { status: 404, message: 'Conversation not found.' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'Message not found.' },
  USER_NOT_FOUND: { status: 404, message: 'User not found.' },
  SESSION_NOT_FOUND: { status: 404, message: 'Session not found.' },
  INVITE_INVALID: { status: 410, message: 'The invite link is invalid, used or expired.' },
  SETUP_DONE: { status: 409, message: 'Kurier already has an owner.' },
  SETUP_TOKEN_INVALID: { status: 403, message: 'The setup link is invalid.' },
  USERNAME_TAKEN: { status: 409, message: 'This username is taken.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  PIN_LIMIT_REACHED: { status: 409, message: 'You have pinned as many chats as you can; unpin one first.' },
  CLIENT_MSG_ID_REUSED: {
    status: 409,
    message: 'This clientMsgId was already used for a different message.',
  },
  FILE_TOO_LARGE: { status: 413, message: 'The file exceeds the upload size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Upload one file as multipart/form-data in the field "file".' },
  MEDIA_NOT_FOUND: { status: 404, message: 'Media not found.' },
  MEDIA_LINK_INVALID: { status: 403, message: 'The media link is invalid or has expired.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested byte range is not satisfiable.' },
  WIDGET_KEY_INVALID: { status: 404, message: 'No inbox has this widget key.' },
  INBOX_NOT_FOUND: { status: 404, message: 'Inbox not found.' },
  TEAM_NOT_FOUND: { status: 404, message: 'Team not found.' },
  CONTACT_NOT_FOUND: { status: 404, message: 'Contact not found.' },
  CONTACT_BLOCKED: { status: 403, message: 'This conversation is closed.' },
  ALREADY_ASSIGNED: { status: 409, message: 'Another agent already owns this conversation.' },
  IDENTITY_INVALID: { status: 403, message: 'The identity verification hash does not match.' },
  SPAM_SUSPECTED: { status: 400, message: 'The form was filled in a way only robots do.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; slow down.' },
  PROTOCOL_VERSION_UNSUPPORTED: {
    status: 426,
    message: 'The client speaks an unsupported protocol version.',
    close: 4426,
  },
  HELLO_REQUIRED: { status: 400, message: 'The first frame must be hello.' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down.', close: 1012 },
  INTERNAL: { status: 500, message: 'Something went wrong on the server.' },
} as const satisfies Record<string, { status: number; message: string; close?: number }>;

/** A stable error code, as sent on the wire. */
export type ErrorCode = keyof typeof ERRORS;

/** All error codes, for schemas and exhaustive tests. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** The error body of every failed HTTP response: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
