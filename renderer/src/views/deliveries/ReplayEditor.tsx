import { useEffect, useId, useRef, useState } from 'react';
import { Field } from '../../components/Field.tsx';
import './ReplayEditor.css';

function jsonProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Replay with edits: a copy of a delivery's body to change and send through the receiver again.
 * The relay signs it with the webhook secret, so it is checked exactly as Level's own would be.
 */
export function ReplayEditor({
  deliveryId,
  body,
  busy,
  onSend,
  onCancel,
}: {
  deliveryId: number;
  body: string;
  busy: boolean;
  onSend: (body: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(body);
  const problem = jsonProblem(text);
  const editor = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => editor.current?.focus(), []);

  return (
    <section
      className="replay-editor"
      aria-labelledby={`${id}-title`}
      data-testid="replay-editor"
      onKeyDown={(event) => {
        // Escape leaves the editor only; the detail pane stays open.
        if (event.key !== 'Escape') return;
        event.preventDefault();
        onCancel();
      }}
    >
      <h3 id={`${id}-title`}>Replay delivery #{deliveryId} with edits</h3>
      <Field
        layout="column"
        label="Body (JSON)"
        hint={
          <>
            Sent through the receiver signed with this relay’s webhook secret, as Level signs, and listed as a manual replay of #{deliveryId}. An unchanged <code>event_id</code> is
            taken as a repeat of the event: change it to have the event handled anew.
          </>
        }
        error={problem && `Not valid JSON: ${problem}`}
        errorTestId="replay-check"
      >
        {(control) => (
          <>
            <textarea {...control} ref={editor} value={text} spellCheck={false} onChange={(event) => setText(event.target.value)} data-testid="replay-body" />
            {!problem && (
              <p className="small text-ok" role="status" data-testid="replay-check">
                Valid JSON
              </p>
            )}
          </>
        )}
      </Field>
      <div className="replay-editor-actions">
        <button type="button" className="primary" disabled={problem !== undefined || busy} onClick={() => onSend(text)} data-testid="replay-send">
          Send replay
        </button>
        <button type="button" onClick={onCancel} data-testid="replay-cancel">
          Cancel
        </button>
      </div>
    </section>
  );
}
