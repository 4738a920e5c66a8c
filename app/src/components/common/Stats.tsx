/** A labelled list of values (a <dl>), each value findable by its label. */
import type { ReactNode } from "react";

export interface Stat {
  label: string;
  value: ReactNode;
  /** For tests and screen readers: a stable id of the value. */
  testId?: string;
}

export function Stats(props: { stats: readonly Stat[]; label?: string }) {
  return (
    <dl className="stats" aria-label={props.label}>
      {props.stats.map((stat) => (
        <div className="stat" key={stat.label}>
          <dt>{stat.label}</dt>
          <dd data-testid={stat.testId}>{stat.value}</dd>
        </div>
      ))}
    </dl>
  );
}
