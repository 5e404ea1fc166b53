import { z } from 'zod';
import { Id } from '../ids.js';
import { Role, Session, User } from '../models.js';

const Username = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, dot, dash, underscore');
const Password = z.string().min(10, 'at least 10 characters').max(256);
const DisplayName = z.string().trim().min(1).max(64);
const DeviceName = z.string().trim().min(1).max(64);

/** A new account with its first session: setup (owner) and invite acceptance share it. */
const NewAccount = z.object({
  token: z.string().min(1).max(128),
  username: Username,
  displayName: DisplayName,
  password: Password,
  deviceName: DeviceName.optional(),
});

/** `POST /api/v1/setup`: create the owner with the one-time setup token. */
export const SetupRequest = NewAccount;
/** Body of `POST /api/v1/setup`. */
export type SetupRequest = z.infer<typeof SetupRequest>;

/** `POST /api/v1/login`. */
export const LoginRequest = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  deviceName: DeviceName.optional(),
});
/** Body of `POST /api/v1/login`. */
export type LoginRequest = z.infer<typeof LoginRequest>;

/** Answer to setup, login and invite acceptance: the session token is shown only here. */
export const AuthResponse = z.object({ token: z.string(), sessionId: Id, user: User });
/** Answer to setup, login and invite acceptance. */
export type AuthResponse = z.infer<typeof AuthResponse>;

/** `POST /api/v1/invites`: admins invite staff. */
export const CreateInviteRequest = z.object({
  role: Role.exclude(['owner']).default('member'),
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(72),
});
/** Body of `POST /api/v1/invites`. */
export type CreateInviteRequest = z.input<typeof CreateInviteRequest>;

/** An invite link; `token` appears only in the creation response. */
export const InviteResponse = z.object({
  id: Id,
  token: z.string(),
  url: z.string(),
  role: Role,
  expiresAt: z.number(),
});
/** An invite link. */
export type InviteResponse = z.infer<typeof InviteResponse>;

/** `POST /api/v1/invites/accept`: `token` is the invite token. */
export const AcceptInviteRequest = NewAccount;
/** Body of `POST /api/v1/invites/accept`. */
export type AcceptInviteRequest = z.infer<typeof AcceptInviteRequest>;

/** `PATCH /api/v1/me`. */
export const UpdateProfileRequest = z.object({ displayName: DisplayName });
/** Body of `PATCH /api/v1/me`. */
export type UpdateProfileRequest = z.infer<typeof UpdateProfileRequest>;

/** `POST /api/v1/me/password`: other sessions are logged out. */
export const ChangePasswordRequest = z.object({
  currentPassword: z.string().min(1).max(256),
  newPassword: Password,
});
/** Body of `POST /api/v1/me/password`. */
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

/** `GET /api/v1/sessions`. */
export const SessionList = z.object({ sessions: z.array(Session) });
/** `GET /api/v1/users`. */
export const UserList = z.object({ users: z.array(User) });
