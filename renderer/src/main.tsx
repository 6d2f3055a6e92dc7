import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// The global layers before App: Vite emits CSS in import order, so each view's own CSS (imported by its
// .tsx) comes later and wins over them.
import './styles/tokens.css';
import './styles/base.css';
import './styles/components.css';
import { App } from './App.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
