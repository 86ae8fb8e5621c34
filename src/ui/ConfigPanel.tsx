/** Every knob of the run, from the one table in config/knobs.ts, each with its one-line explanation. */
import { useState } from 'react';
import { setKnob } from '../state/actions';
import { KNOBS, type Knob, PRESET_NAMES, describeValid } from '../state/catalog';
import { useApp } from '../state/store';
import { SecondaryPanel } from './Panel';

function KnobInput({ k }: { k: Knob }) {
  const value = useApp((s) => s.config[k.key]);
  const running = useApp((s) => s.status === 'running' || s.status === 'preparing');
  const text = Array.isArray(value) ? value.join(',') : String(value);
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const apply = (t: string) => {
    const refused = setKnob(k, t);
    setError(refused);
    if (!refused) setDraft(null);
  };
  const id = `knob-${k.key}`;
  return (
    <div className="knob">
      <label htmlFor={id} title={k.key}>
        {k.key}
      </label>
      {k.kind === 'choice' ? (
        <select id={id} value={text} disabled={running} onChange={(e) => apply(e.target.value)}>
          {(k.choices ?? []).map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          data-testid={id}
          value={draft ?? text}
          disabled={running}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => draft !== null && apply(draft)}
          onKeyDown={(e) => e.key === 'Enter' && draft !== null && apply(draft)}
          aria-invalid={error ? true : undefined}
        />
      )}
      <span className="knob-help">
        {k.help} ({describeValid(k, PRESET_NAMES)})
      </span>
      {error && <span className="knob-error" role="alert">{error}</span>}
    </div>
  );
}

const SHOWN = KNOBS.filter((k) => k.key !== 'preset' && k.key !== 'method');

export function ConfigPanel() {
  return (
    <SecondaryPanel
      id="config"
      testId="panel-config"
      title="Every knob"
      note={`(${SHOWN.length} settings: change one and the run resets)`}
      explainer="Changing a knob updates the link. Defaults come from the method, then the preset."
    >
      <div className="knobs">
        {SHOWN.map((k) => (
          <KnobInput key={k.key} k={k} />
        ))}
      </div>
    </SecondaryPanel>
  );
}
