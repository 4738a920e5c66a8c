/** A labelled text input for amounts; the label is what screen readers and tests find it by. */
import { useId } from "react";

export function AmountField(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  unit?: string;
  error?: string | null;
  placeholder?: string;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <div className="field-input">
        <input
          id={id}
          inputMode="decimal"
          autoComplete="off"
          value={props.value}
          placeholder={props.placeholder ?? "0.0"}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={props.error ? errorId : undefined}
          onChange={(event) => props.onChange(event.target.value)}
        />
        {props.unit && <span className="unit">{props.unit}</span>}
      </div>
      {props.error && (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A group of mutually exclusive choices rendered as radio buttons (a fieldset with a legend). */
export function Choice<T extends string>(props: {
  legend: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange(value: T): void;
}) {
  const name = useId();
  return (
    <fieldset className="choice">
      <legend>{props.legend}</legend>
      {props.options.map((option) => (
        <label key={option.value} className={option.value === props.value ? "choice-option selected" : "choice-option"}>
          <input
            type="radio"
            name={name}
            value={option.value}
            checked={option.value === props.value}
            onChange={() => props.onChange(option.value)}
          />
          {option.label}
        </label>
      ))}
    </fieldset>
  );
}
