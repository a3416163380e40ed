import { useEffect, useState } from 'react';
import type { ZafClient } from '../zaf/zaf-client.ts';

export interface TicketContext {
  requesterEmail: string;
  agentName: string;
  locale: string;
  ticketId: number | undefined;
  ticketUrl: string | undefined;
  serverUrl: string;
}

/** Reads what the form is prefilled with: requester, agent, ticket, locale and the service URL. */
export async function loadTicketContext(client: ZafClient): Promise<TicketContext> {
  const [data, metadata, context] = await Promise.all([
    client.get(['ticket.requester.email', 'ticket.id', 'currentUser']),
    client.metadata(),
    client.context().catch(() => ({}) as Awaited<ReturnType<ZafClient['context']>>),
  ]);
  const user = (data.currentUser ?? {}) as { name?: string; email?: string; locale?: string };
  const rawTicketId = data['ticket.id'] ?? context.ticketId;
  const ticketId = typeof rawTicketId === 'number' && rawTicketId > 0 ? rawTicketId : Number(rawTicketId) || undefined;
  const subdomain = context.account?.subdomain;
  return {
    requesterEmail: typeof data['ticket.requester.email'] === 'string' ? data['ticket.requester.email'] : '',
    agentName: user.name ?? user.email ?? '',
    locale: user.locale ?? 'en',
    ticketId,
    ticketUrl: ticketId && subdomain ? `https://${subdomain}.zendesk.com/agent/tickets/${ticketId}` : undefined,
    serverUrl: String(metadata.settings.serverUrl ?? ''),
  };
}

export function useTicketContext(client: ZafClient): { context?: TicketContext; error?: string } {
  const [state, setState] = useState<{ context?: TicketContext; error?: string }>({});
  useEffect(() => {
    loadTicketContext(client).then(
      (context) => setState({ context }),
      (error: unknown) => setState({ error: error instanceof Error ? error.message : String(error) }),
    );
  }, [client]);
  return state;
}
