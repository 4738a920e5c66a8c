/** The five ADL lights traders know from exchanges: 5 lit = among the first 20% to be auto-deleveraged. */
import { formatInteger } from "../../format/format";
import type { AdlLightReading } from "../../chain/snapshots";

const LIGHT_COUNT = 5;

export function AdlLights(props: { adl: AdlLightReading }) {
  const { light, rank, queueLength } = props.adl;
  const description =
    light === 0
      ? "not in the ADL queue"
      : `${light} of ${LIGHT_COUNT} (rank ${formatInteger(rank + 1n)} of ${formatInteger(queueLength)})`;
  return (
    <span className="adl-lights" role="img" aria-label={`ADL lights: ${description}`} data-light={light}>
      {Array.from({ length: LIGHT_COUNT }, (_, i) => (
        <span key={i} className={i < light ? "adl-bar lit" : "adl-bar"} />
      ))}
      <span className="adl-text">{description}</span>
    </span>
  );
}
