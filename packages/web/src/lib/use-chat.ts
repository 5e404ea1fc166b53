import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatState, ChatStore } from './store';

/** The logged-in user's store; provided by the shell. */
export const ChatContext = createContext<ChatStore | null>(null);

/** The store itself (for actions). */
export function useStore(): ChatStore {
  const store = useContext(ChatContext);
  if (!store) throw new Error('useStore outside <ChatContext.Provider>');
  return store;
}

/**
 * A slice of the chat state. `select` must return something stored in the state (or a
 * primitive), not a freshly built object: React compares snapshots by identity.
 */
export function useChat<TSlice>(select: (s: ChatState) => TSlice): TSlice {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getSnapshot()));
}
