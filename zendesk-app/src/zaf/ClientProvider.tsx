import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { initZafClient, type ZafClient } from './zaf-client.ts';

const ClientContext = createContext<ZafClient | null>(null);

/** Initialises ZAF once and renders its children when the app is registered. */
export function ClientProvider({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const [client] = useState(initZafClient);
  const [registered, setRegistered] = useState(false);

  useEffect(() => {
    if (!client) return;
    client.on('app.registered', () => setRegistered(true));
    // Some hosts register before React subscribes; a resolved metadata call proves the bridge works.
    client.metadata().then(
      () => setRegistered(true),
      () => undefined,
    );
  }, [client]);

  if (!client) return <>{fallback}</>;
  if (!registered) return null;
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

export function useClient(): ZafClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient() outside <ClientProvider>');
  return client;
}
