export function App() {
  return (
    <main data-testid="app-ready">
      <h1>Level → ilert Relay</h1>
      <p>The relay is running. The dashboard arrives with the desktop app.</p>
    </main>
  );
}
