import { DEFAULT_THEME, ThemeProvider } from '@zendeskgarden/react-theming';
import type { ComponentType } from 'react';
import { TicketSidebar } from './locations/TicketSidebar.tsx';
import { ClientProvider } from './zaf/ClientProvider.tsx';
import { translator } from './i18n.tsx';

/** ZAF location → the component that renders there. */
const LOCATIONS: Record<string, ComponentType> = { ticket_sidebar: TicketSidebar };

export function App({ location = 'ticket_sidebar' }: { location?: string }) {
  const Location = LOCATIONS[location] ?? TicketSidebar;
  return (
    <ThemeProvider theme={DEFAULT_THEME}>
      <ClientProvider fallback={<p className="muted">{translator(navigator.language)('notInZendesk')}</p>}>
        <Location />
      </ClientProvider>
    </ThemeProvider>
  );
}
