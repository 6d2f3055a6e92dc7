/**
 * A field's error; a template's ("line 2, column 7: …") also quotes that line with a caret under
 * the column, as ilert's template editor points at the mistake.
 */
export function FieldError({ id, message, template }: { id: string; message: string | undefined; template?: string | undefined }) {
  if (!message) return null;
  const position = /^line (\d+), column (\d+):/.exec(message);
  const line = position && template !== undefined ? template.split('\n')[Number(position[1]) - 1] : undefined;
  return (
    <div className="field-error" id={id} role="alert" data-testid={`error-${id}`}>
      {message}
      {line !== undefined && (
        <pre className="template-error-at" aria-hidden="true">
          {line}
          {'\n'}
          {`${' '.repeat(Math.max(0, Number(position![2]) - 1))}^`}
        </pre>
      )}
    </div>
  );
}
