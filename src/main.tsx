import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { loadFromUrl } from './state/link';
import { restoreLastRun } from './state/persist';
import { App } from './ui/App';
import './ui/app.css';

loadFromUrl(location.hash);
restoreLastRun();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
