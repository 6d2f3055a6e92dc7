import type { Role } from '../../shared/contract.ts';

/** The dashboard's tabs, in their own module so views can name one without importing App. */
export type View = 'alerts' | 'deliveries' | 'routing' | 'health' | 'setup' | 'settings' | 'team';

/** Tabs and the least role that sees them; the server refuses the rest anyway. */
export const ALL_TABS: { view: View; label: string; needs: Role }[] = [
  { view: 'alerts', label: 'Alerts', needs: 'viewer' },
  { view: 'deliveries', label: 'Deliveries', needs: 'viewer' },
  { view: 'routing', label: 'Routing', needs: 'viewer' },
  { view: 'health', label: 'Health', needs: 'viewer' },
  { view: 'setup', label: 'Setup', needs: 'admin' },
  { view: 'settings', label: 'Settings', needs: 'viewer' },
  { view: 'team', label: 'Team', needs: 'viewer' },
];
