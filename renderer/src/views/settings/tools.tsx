/** The Settings page's two tools: a new secret to paste into Level, and a test of the saved Level API key. */
import { useState } from 'react';
import type { ConnectionCheck } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { copyAndFlash } from '../../clipboard.ts';
import { Field } from '../../components/Field.tsx';
import { Icon } from '../../components/Icon.tsx';
import { clock, fullTime } from '../../format.ts';
import { useAction, useFlash } from '../../hooks.ts';
import { randomSecret } from '../setup/common.tsx';
import type { SettingsForm } from './use-settings-form.ts';

/** The fields a generated secret can be put into. */
const GENERATED_TARGETS = [
  { key: 'levelWebhookSecret', testId: 'use-generated-secret', name: 'Level webhook secret', field: 'Level webhook secret' },
  { key: 'levelAutomationSecret', testId: 'use-generated-automation-secret', name: 'automation secret', field: 'Level automation secret' },
] as const;

export function GeneratedSecretField({ form, active }: { form: SettingsForm; active: boolean }) {
  const [generated, setGenerated] = useState<string>();
  const [copied, flashCopied] = useFlash(3_000);
  // A generated secret is shown once: gone when the user leaves this view.
  const [wasActive, setWasActive] = useState(active);
  if (active !== wasActive) {
    setWasActive(active);
    if (!active) setGenerated(undefined);
  }
  return (
    <Field group label="New secret" hint="32 random bytes from this computer’s secure random generator, as 64 hex characters. Use one for a new webhook or a rotation.">
      {() => (
        <>
          <button type="button" onClick={() => setGenerated(randomSecret())} data-testid="generate-secret">
            Generate webhook secret
          </button>
          {generated && (
            <div className="generated" data-testid="generated-secret-panel">
              <code className="generated-value" data-testid="generated-secret">
                {generated}
              </code>
              <div className="generated-actions">
                <button type="button" onClick={() => copyAndFlash(generated, flashCopied)} data-testid="copy-generated-secret">
                  Copy
                </button>
                {GENERATED_TARGETS.map(({ key, testId, name, field }) => (
                  <button
                    type="button"
                    key={key}
                    disabled={form.locked.has(key)}
                    title={
                      form.locked.has(key)
                        ? `The ${name} is set by ${form.setting(key).env} in the environment: put the new one there`
                        : `Put this secret into the ${field} field (saved when you press Save)`
                    }
                    onClick={() => form.setSecret(key, { mode: 'replace', value: generated })}
                    data-testid={testId}
                  >
                    Use as {name}
                  </button>
                ))}
                <button type="button" className="icon-button" aria-label="Hide generated secret" title="Hide" onClick={() => setGenerated(undefined)}>
                  <Icon name="close" />
                </button>
                {copied && <span className="flash">{copied}</span>}
              </div>
              <p className="warning">
                Copy it now and paste it into Level’s webhook. <b>Level will not show it again</b> after you save the webhook, and this page shows it only once.
              </p>
            </div>
          )}
        </>
      )}
    </Field>
  );
}

type LevelCheck = ConnectionCheck | { ok: false; message: string; checkedAt?: undefined };

/** Asks Level's API for one group with the saved URL and key; unsaved edits of either must be saved first. */
export function LevelConnectionField({ form, unsaved }: { form: SettingsForm; unsaved: boolean }) {
  const [check, setCheck] = useState<LevelCheck>();
  const { busy, run } = useAction();
  const keySet = form.view.secrets.levelApiKey.set;
  const test = () =>
    run(async () => {
      setCheck(undefined);
      setCheck(await call('testLevelConnection', {}).catch((error: Error) => ({ ok: false as const, message: error.message })));
    });
  return (
    <Field group label="Connection" hint="Checks the saved URL and key against Level. Groups and devices are read under Routing → Sync from Level.">
      {() => (
        <div className="secret-row">
          <button
            type="button"
            onClick={() => void test()}
            disabled={busy || !keySet || unsaved}
            title={
              !keySet
                ? 'Set and save the Level API key first'
                : unsaved
                  ? 'Save first: the test uses the saved URL and key'
                  : 'Ask Level’s API for one group, with the saved URL and key'
            }
            data-testid="test-level-connection"
          >
            {busy ? 'Testing…' : 'Test connection'}
          </button>
          {check && (
            <span
              className={check.ok ? 'text-ok' : 'text-bad'}
              role="status"
              data-testid="level-connection-result"
              title={check.checkedAt !== undefined ? fullTime(check.checkedAt) : undefined}
            >
              {check.ok ? `Connected at ${clock(check.checkedAt)}${check.detail ? ` · ${check.detail}` : ''}` : check.message}
            </span>
          )}
        </div>
      )}
    </Field>
  );
}
