/** What the bench process asks a server child to set up, over IPC. */
export interface ProvisionRequest {
  users: number;
  devicesPerUser: number;
  /** Each conversation lists member user indexes; the first member creates it. */
  conversations: { members: number[] }[];
}

/** What a server child answers: tokens per user and device, ids per conversation. */
export interface Provisioned {
  tokens: string[][];
  conversationIds: string[];
}

/** IPC messages from a server child to the bench process. */
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'provisioned'; result: Provisioned }
  | { type: 'failed'; error: string }
  | { type: 'gc-done'; heapUsed: number; heapTotal: number };
