/** Copies text; falls back to a hidden textarea where the async clipboard is unavailable. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // fall through to the old way
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the clipboard is not available here: select the text and copy it by hand');
}

/** Copies `text`, then flashes `done`, or why it could not. */
export function copyAndFlash(text: string, flash: (message: string) => void, done = 'Copied'): void {
  copyText(text).then(
    () => flash(done),
    (error: Error) => flash(error.message),
  );
}
