import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
// The global layers before App: Vite emits CSS in import order, so each view's own CSS (imported by its
// .tsx) comes later and wins over them.
import './styles/tokens.css';
import './styles/base.css';
import './styles/components.css';
import { App } from './App.tsx';
import { queryClient } from './api/queries.ts';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
